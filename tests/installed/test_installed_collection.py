"""The collection as a user gets it: built, installed from the tarball, run from examples/project against the lab.

`ansible-galaxy collection build` makes the tarball of the checkout; `ansible-galaxy collection install <tarball>
-p <tmp>/collections --offline` installs it into an empty path (its dependencies are the `ansible` package's). A
copy of examples/project (its own ansible.cfg, the gpt371.infra.deployment inventory for the cloud `my-openstack`,
group_vars, a vault file re-encrypted here with the lab's secrets and a password file made here) then runs, from
its own directory, with HOME a fresh directory holding the user's SSH key and nothing of the checkout on any path:
  ansible-playbook gpt371.infra.provision   network, security groups, the four fixed servers (agent_count 0), the
                                            host keys pinned, SSH to every server through the bastion
  ansible-inventory --graph                 the same servers, from the cloud, by the installed inventory plugin
  ansible-playbook gpt371.infra.teardown    nothing of the deployment left
gpt371.infra.provision, not gpt371.infra.site: it is the cheapest playbook that exercises both the cloud (every
OpenStack call of network and instances, the lock in the object storage) and the hosts (SSH through the bastion,
facts), in about a quarter of site.yml's time (which configures and deploys the stacks too: tests/lab/test_site.py
and the AWX workflow test run those). The tarball's file list and the offline install are checked without the lab
in tests/unit/test_collection_build.py.
"""
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from openstack import config as os_config
from openstack import connection

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAB_STATE = REPO / "lab" / ".state"
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
FIXED = ("core", "xpipe", "kespa", "supabase")

_spec = importlib.util.spec_from_file_location("gpt371_lab_profile", REPO / "tests" / "awx" / "lab_profile.py")
lab_profile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab_profile)


@pytest.fixture(scope="module")
def lab():
    env = dict(os.environ, LAB_EVENT_DELAY="15")
    proc = subprocess.run(["bash", str(REPO / "lab" / "lab.sh"), "up"], capture_output=True, text=True,
                          timeout=1200, check=False, env=env)
    assert proc.returncode == 0, "lab.sh up failed:\n" + (proc.stdout + proc.stderr)[-3000:]
    return LAB_STATE


def run(argv, cwd, env, timeout=300):
    proc = subprocess.run([str(BIN / argv[0])] + argv[1:], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def user(lab, tmp_path_factory):
    """A user's machine: the installed tarball, the project, HOME with an SSH key, the lab as 'my OpenStack'."""
    work = tmp_path_factory.mktemp("installed")
    base_env = {"PATH": os.pathsep.join([str(BIN), "/usr/bin", "/bin"]), "LANG": "C.UTF-8", "ANSIBLE_NOCOLOR": "1",
                "HOME": str(work / "home")}
    (work / "home" / ".ssh").mkdir(parents=True)
    rc, out = run(["ansible-galaxy", "collection", "build", "--output-path", str(work / "dist"), str(REPO)], work,
                  base_env)
    assert rc == 0, out
    (tarball,) = (work / "dist").glob("gpt371-infra-*.tar.gz")
    collections = work / "collections"
    rc, out = run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(collections), str(tarball)],
                  work, base_env)
    assert rc == 0, out
    assert sorted(p.name for p in (collections / "ansible_collections").iterdir()) == ["gpt371"]
    # the project, with this deployment's name where the user writes it
    deployment = "gpt371-i" + uuid.uuid4().hex[:6]
    cidr = "10.%d.%d.0/24" % (random.randint(150, 199), random.randint(0, 255))
    project = work / "project"
    shutil.copytree(REPO / "examples" / "project", project)
    inventory = project / "inventory" / "deployment.yml"
    inventory.write_text(re.sub(r"(?m)^deployment: .*$", "deployment: " + deployment,
                                inventory.read_text(encoding="utf-8")), encoding="utf-8")
    # my OpenStack: the lab's non-admin cloud under the name the project uses
    clouds = yaml.safe_load((lab / "clouds.yaml").read_text(encoding="utf-8"))
    (project / "clouds.yaml").write_text(yaml.safe_dump({"clouds": {"my-openstack": clouds["clouds"]["gpt371-lab"]}}),
                                         encoding="utf-8")
    # the vault: the lab's secrets, under a password only this test knows
    s3 = json.loads((lab / "s3.json").read_text(encoding="utf-8"))
    secrets = json.loads((lab / "app-secrets.json").read_text(encoding="utf-8"))
    password = project / ".vault-password"
    password.write_text(uuid.uuid4().hex + "\n", encoding="utf-8")
    password.chmod(0o600)
    vault = project / "inventory" / "group_vars" / "all" / "vault.yml"
    vault.write_text(yaml.safe_dump({
        "vault_database_password": secrets["db_password"], "vault_storage_access_key": s3["access_key"],
        "vault_storage_secret_key": s3["secret_key"], "vault_xpipe_api_key": secrets["xpipe_api_key"]}),
        encoding="utf-8")
    env = dict(base_env, ANSIBLE_COLLECTIONS_PATH=str(collections),
               OS_CLIENT_CONFIG_FILE=str(project / "clouds.yaml"))
    rc, out = run(["ansible-vault", "encrypt", str(vault)], project, env)
    assert rc == 0 and vault.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT;"), out
    # the user's own key, where the example's settings look for it (instances_public_key_file)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", deployment, "-f",
                    str(work / "home" / ".ssh" / "id_ed25519")], check=True)
    # The lab's own settings (its images, TLS CA, storage address, SSH sources), rendered into plain values, as
    # -e @lab.yml: what differs between the lab and the example's "my OpenStack"
    profile = lab_profile.render(deployment, cidr, str(work))
    (project / "lab.yml").write_text(yaml.safe_dump(profile["extra_vars"]), encoding="utf-8")
    info = {"work": work, "project": project, "env": env, "deployment": deployment, "collections": collections,
            "secrets": [secrets["db_password"], s3["secret_key"], secrets["xpipe_api_key"],
                        clouds["clouds"]["gpt371-lab"]["auth"]["password"]]}
    yield info
    rc, out = run(["ansible-playbook", "gpt371.infra.teardown", "-e", "@lab.yml", "-e",
                   "teardown_confirm=" + deployment], project, env, timeout=1800)
    assert rc == 0, "teardown from the installed collection failed:\n" + out[-3000:]


def servers_of(deployment):
    region = os_config.OpenStackConfig(config_files=[str(LAB_STATE / "clouds.yaml")],
                                       load_envvars=False).get_one(cloud="gpt371-lab")
    conn = connection.Connection(config=region)
    return {s.name: s for s in conn.compute.servers()
            if (s.metadata or {}).get("gpt371_deployment") == deployment}


def test_provision_from_the_project_with_the_installed_tarball(user):
    project, env, deployment = user["project"], user["env"], user["deployment"]
    rc, out = run(["ansible-playbook", "-vv", "gpt371.infra.provision", "-e", "@lab.yml", "-e", "agent_count=0"],
                  project, env, timeout=2400)
    assert rc == 0, out[-6000:]
    assert "Using %s as config file" % (project / "ansible.cfg") in out
    # every task of the collection came from the installed copy: the checkout is on no path
    installed = str(user["collections"] / "ansible_collections" / "gpt371" / "infra")
    task_paths = re.findall(r"^task path: (\S+?):\d+$", out, re.M)
    ours = [p for p in task_paths if "/gpt371/infra/" in p]
    assert ours and all(p.startswith(installed + os.sep) for p in ours), sorted(set(ours))[:5]
    # Nothing of the collection was read from the checkout. (The checkout still shows up in the -vv header when the
    # test's venv lives in it, as a clean clone's does: "executable location = <clone>/.venv/bin/ansible-playbook".)
    assert not [d for d in ("roles", "plugins", "playbooks") if str(REPO / d) in out], out[-3000:]
    assert not [s for s in user["secrets"] if s in out], "a secret in the output"
    # the servers, reached over SSH through the bastion
    recap = {m.group(1): (int(m.group(4)), int(m.group(5))) for m in RECAP.finditer(out)}
    names = ["%s-%s" % (deployment, n) for n in FIXED]
    assert {n: recap.get(n) for n in names} == {n: (0, 0) for n in names}, recap
    assert set(servers_of(deployment)) == set(names)
    # what the run kept on the controller is in the user's state dir, nothing in the project or the collection
    state = Path(env["HOME"]) / ".local" / "state" / "gpt371"
    assert state.is_dir() and any(state.iterdir())
    assert sorted(p.name for p in project.iterdir()) == sorted(
        [".gitignore", ".vault-password", "README.md", "ansible.cfg", "clouds.yaml", "inventory", "lab.yml",
         "requirements.yml"])


def test_the_installed_inventory_plugin_finds_the_servers(user):
    rc, out = run(["ansible-inventory", "--list"], user["project"], user["env"])
    assert rc == 0, out[-3000:]
    inventory = json.loads(out[out.index("{"):])
    names = {"%s-%s" % (user["deployment"], n) for n in FIXED}
    assert set(inventory["_meta"]["hostvars"]) == names
    assert set(inventory["core"]["hosts"]) == {user["deployment"] + "-core"}
    assert set(inventory["database"]["hosts"]) == {user["deployment"] + "-supabase"}
