"""The 371GPT job templates run the way AWX runs them, for the workflow test on the lab (test_workflow.py).

Every job (and every inventory update) gets its own fresh private data directory with only what AWX gives a job:
  project/          a copy of the project checkout (the git tree; AWX's project update), never shared
  inventory/hosts   AWX's inventory script: the hosts, groups and variables the inventory update stored, computed
                    BEFORE the job starts (the source's update_on_launch) by `ansible-inventory --list --export` on
                    the inventory source of awx/assets.yml (the gpt371.infra.deployment plugin), in a private data
                    directory of its own that is deleted afterwards (AWX keeps only the parsed result)
  env/              the files the credential types inject (the OpenStack credential's clouds.yaml), the machine
                    credential's key (ansible-runner's ssh_key: ssh-agent), the env the credentials inject
  extra vars        the template's extra_vars, then the launch variables and survey answers (awx_injection)
Nothing else passes between jobs: what Configure needs of Provision it reads from the cloud (the inventory) and
what Verify reports is the job's artifact (artifacts/<ident>/, AWX_ISOLATED_DATA_DIR).

In the execution environment (ee_image given) the jobs and inventory updates run in gpt371-ee:0.1.0 through
ansible-runner's process isolation (docker, host network for the lab's endpoints, container gpt371-awx-job-*);
without it, on the controller's venv with an empty HOME per job.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

import ansible_runner
import yaml

from awx_injection import launch_extra_vars, render_injectors
from conftest import REPO

VENV_BIN = os.path.dirname(sys.executable)
EE_UID = 1000  # the user gpt371-ee:0.1.0 runs as (ansible-builder's default)
# What AWX's project update leaves out of a checkout here: only the git tree would be there (the lab, tests, bench
# and images are in git, but a job needs none of them; leaving them out keeps the copies small). TOP_ONLY names
# are left out at the top of the checkout only (roles/outputs is a role, outputs/ the lab's state).
TOP_ONLY = {".git", ".venv", ".cache", ".collections", "tests", "lab", "bench", "images", "reports", "outputs"}
ANYWHERE = (".pytest_cache", ".molecule", "__pycache__", "*.pyc", "*.tar.gz")


def ignore_in_checkout(directory, names):
    """shutil.copytree's ignore: what a project checkout of AWX would not hold."""
    ignored = set(shutil.ignore_patterns(*ANYWHERE)(directory, names))
    if os.path.abspath(directory) == REPO:
        ignored |= TOP_ONLY & set(names)
    return ignored


# AWX's inventory script (awx.main.tasks.jobs.RunJob.build_inventory writes one like it).
INVENTORY_SCRIPT = """#! /usr/bin/env python3
import json, sys
DATA = json.loads(%r)
if "--host" in sys.argv:
    print(json.dumps(DATA["_meta"]["hostvars"].get(sys.argv[-1], {})))
else:
    print(json.dumps(DATA))
"""


def openstack_injection(inputs, pdd):
    """AWX's built-in OpenStack credential (awx.main.models.credential.injectors.openstack): a clouds.yaml with
    one cloud, `devstack`, in the job's env/ and OS_CLIENT_CONFIG_FILE pointing at it."""
    auth = {"auth_url": inputs["host"], "username": inputs["username"], "password": inputs["password"],
            "project_name": inputs["project"]}
    if inputs.get("project_domain_name"):
        auth["project_domain_name"] = inputs["project_domain_name"]
    if inputs.get("domain"):
        auth["domain_name"] = inputs["domain"]
    cloud = {"auth": auth, "verify": inputs.get("verify_ssl", True)}
    if inputs.get("region"):
        cloud["region_name"] = inputs["region"]
    env_dir = os.path.join(pdd, "env")
    os.makedirs(env_dir, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=env_dir)
    with os.fdopen(handle, "w") as fh:
        yaml.safe_dump({"clouds": {"devstack": cloud}}, fh)
    return {"OS_CLIENT_CONFIG_FILE": path}, path


def tree_digest(root):
    """{relative path: sha256} of every file under root (byte code left out)."""
    found = {}
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]  # Python's byte code of the plugins, not state
        for name in files:
            path = os.path.join(base, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as fh:
                found[os.path.relpath(path, root)] = hashlib.sha256(fh.read()).hexdigest()
    return found


def _replaced(node, paths):
    """node with every string that is a key of `paths` replaced by its value."""
    if isinstance(node, dict):
        return {k: _replaced(v, paths) for k, v in node.items()}
    if isinstance(node, list):
        return [_replaced(v, paths) for v in node]
    return paths.get(node, node) if isinstance(node, str) else node


def slice_inventory(inventory, number, count):
    """AWX's job slicing (Inventory.get_sliced_hosts): slice `number` (1-based) of `count` holds the hosts
    sorted by name, every count-th from number - 1; groups keep only those hosts, variables stay."""
    hosts = sorted(inventory["_meta"]["hostvars"])
    keep = set(hosts[number - 1::count])
    sliced = {"_meta": {"hostvars": {h: v for h, v in inventory["_meta"]["hostvars"].items() if h in keep}}}
    for group, body in inventory.items():
        if group == "_meta":
            continue
        body = dict(body)
        if "hosts" in body:
            body["hosts"] = [h for h in body["hosts"] if h in keep]
        sliced[group] = body
    return sliced


class Workflow:
    """The jobs of one workflow run: each job's record (what it received, how long it took) in self.records."""

    def __init__(self, assets, root, cloud_inputs, credential_inputs, ssh_key, source_env, ee_image=None,
                 machine_user="root", group_vars=None):  # pylint: disable=too-many-arguments
        self.assets = assets
        self.root = root
        self.cloud_inputs = cloud_inputs            # the "371GPT OpenStack" credential's inputs
        self.credential_inputs = credential_inputs  # the 371GPT credential types' inputs, by credential type name
        self.ssh_key = ssh_key                      # the Machine credential's private key
        self.machine_user = machine_user
        self.source_env = source_env                # the inventory source's variables (env of the update)
        self.ee_image = ee_image
        self.group_vars = group_vars or {}          # variables an administrator set on the inventory's groups
        self.container_options = ["--network=host"]  # the lab's endpoints are on this machine
        self.launch_vars, self.secrets, self.deployment, self.public_key = {}, [], None, None
        # Controller files the settings name (the lab's CA and its key): like a credential type's file injector,
        # each job gets its own copy in env/ and the variables name that copy.
        self.injected_files = []
        os.makedirs(root, exist_ok=True)
        self.records = []
        self.pristine = None
        self.templates = {os.path.splitext(os.path.basename(jt["playbook"]))[0]: jt for jt in assets["job_templates"]}
        (self.source,) = assets["inventory_sources"]
        self.types = {ct["name"]: ct for ct in assets["credential_types"]}

    # --- private data directories ------------------------------------------------------------------------------
    def _new_pdd(self, name):
        pdd = os.path.join(self.root, "%02d-%s" % (len(os.listdir(self.root)) + 1, name))
        os.makedirs(pdd)
        shutil.copytree(REPO, os.path.join(pdd, "project"), symlinks=True, ignore=ignore_in_checkout)
        if self.pristine is None:
            self.pristine = tree_digest(os.path.join(pdd, "project"))
        assert tree_digest(os.path.join(pdd, "project")) == self.pristine, "a job's checkout differs from the project"
        return pdd

    def _isolation(self, pdd, envvars):
        """runner kwargs for the EE (or the venv) and the path the pdd has where the job runs. Like AWX, the
        collections path starts with the job's requirements_collections, where the project's collections are
        installed: here the project itself is gpt371.infra (a link to the job's checkout)."""
        link = os.path.join(pdd, "requirements_collections", "ansible_collections", "gpt371", "infra")
        os.makedirs(os.path.dirname(link))
        os.symlink(os.path.join("..", "..", "..", "project"), link)
        where = "/runner" if self.ee_image else pdd
        envvars["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(where, "requirements_collections") + \
            ":/usr/share/ansible/collections"
        if self.ee_image:
            return {"process_isolation": True, "process_isolation_executable": "docker",
                    "container_image": self.ee_image,
                    "container_options": self.container_options + [
                        "--name", "gpt371-awx-job-" + uuid.uuid4().hex[:12]]}, "/runner"
        home = os.path.join(pdd, "home")
        os.makedirs(home)
        envvars.update(HOME=home, PATH=VENV_BIN + os.pathsep + "/usr/bin:/bin")
        return {}, pdd

    def _inside(self, path, pdd, where):
        return where + path[len(pdd):] if path.startswith(pdd) else path

    # --- the inventory update -------------------------------------------------------------------------------------
    def inventory_update(self):
        """The source's update before a job: its own private data dir, the OpenStack credential and the source's
        variables as env; returns the parsed inventory (what AWX stores) and removes the directory."""
        started = time.monotonic()
        pdd = self._new_pdd("inventory-update")
        envvars = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True"}
        isolation, where = self._isolation(pdd, envvars)
        env, _clouds = openstack_injection(self.cloud_inputs, pdd)
        envvars.update({k: self._inside(v, pdd, where) for k, v in env.items()})
        envvars.update({k: str(v) for k, v in self.source_env.items()})
        source = os.path.join(where, "project", self.source["source_path"])
        try:
            out, err, rc = ansible_runner.run_command(
                executable_cmd="ansible-inventory", cmdline_args=["-i", source, "--list", "--export"],
                private_data_dir=pdd, envvars=envvars, runner_mode="subprocess", quiet=True, timeout=900,
                **dict(isolation, container_workdir="/runner/project") if self.ee_image else
                dict(host_cwd=os.path.join(pdd, "project")))
        finally:
            # AWX keeps the parsed inventory only: the update's directory (its clouds.yaml, its HOME) goes
            shutil.rmtree(pdd, ignore_errors=True)
        assert rc == 0, "inventory update failed:\n" + (out + err)[-4000:]
        inventory = json.loads(out)
        inventory.setdefault("_meta", {}).setdefault("hostvars", {})
        return inventory, round(time.monotonic() - started, 1)

    # --- a job ---------------------------------------------------------------------------------------------------
    def run_job(self, template, launch_vars=None, survey_answers=None, inventory=None, slice_of=None):
        """Launch the job template `template` (playbook base name). Returns (runner result, record)."""
        job_template = self.templates[template]
        name = template if not slice_of else "%s-slice%d-of-%d" % ((template,) + slice_of)
        update_time = 0.0
        if inventory is None:
            inventory, update_time = self.inventory_update()
        inventory = json.loads(json.dumps(inventory))
        for group, variables in self.group_vars.items():
            inventory.setdefault(group, {}).setdefault("vars", {}).update(variables)
        if slice_of:
            inventory = slice_inventory(inventory, *slice_of)
        started = time.monotonic()
        pdd = self._new_pdd(name)
        envvars = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
        isolation, where = self._isolation(pdd, envvars)
        os.makedirs(os.path.join(pdd, "inventory"))
        script = os.path.join(pdd, "inventory", "hosts")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(INVENTORY_SCRIPT % json.dumps(inventory))
        os.chmod(script, 0o755)
        injected_env, injected_files = [], []
        for cred in job_template["related"]["credentials"]:
            ctype = cred["credential_type"]["name"]
            if ctype == "OpenStack":
                env, path = openstack_injection(self.cloud_inputs, pdd)
                injected_files.append(os.path.relpath(path, pdd))
            else:
                env, extra, files = render_injectors(self.types[ctype], self.credential_inputs[ctype], pdd)
                assert not extra and not files
            envvars.update({k: self._inside(v, pdd, where) for k, v in env.items()})
            injected_env += sorted(env)
        extravars = launch_extra_vars(job_template, launch_vars=launch_vars, survey_answers=survey_answers)
        copies = {}
        for path in self.injected_files:
            copy = os.path.join(pdd, "env", "file-" + os.path.basename(path))
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copyfile(path, copy)
            os.chmod(copy, 0o600)
            if self.ee_image and os.geteuid() == 0:
                os.chown(copy, EE_UID, -1)  # the EE runs as its image's user, as AWX's credential files are
            copies[path] = self._inside(copy, pdd, where)
            injected_files.append(os.path.relpath(copy, pdd))
        extravars = _replaced(extravars, copies)
        inventory = _replaced(inventory, copies)
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(INVENTORY_SCRIPT % json.dumps(inventory))
        extravars.update({"awx_job_template_name": job_template["name"],
                          "tower_job_template_name": job_template["name"],
                          "awx_job_id": len(self.records) + 1, "awx_project_revision": "test"})
        received = {
            "inventory": {"hosts": sorted(inventory["_meta"]["hostvars"]),
                          "groups": {g: sorted(b.get("hosts", [])) for g, b in inventory.items()
                                     if g != "_meta" and b.get("hosts")},
                          "group_vars": {g: sorted(b.get("vars", {})) for g, b in inventory.items()
                                         if g != "_meta" and b.get("vars")}},
            "credentials": [c["name"] for c in job_template["related"]["credentials"]] + ["Machine (ssh key)"],
            "credential_env": sorted(injected_env),
            "credential_files": injected_files,
            "extra_vars": sorted(extravars),
            "files_in_private_data_dir": sorted(
                os.path.relpath(os.path.join(b, f), pdd) for b, _d, fs in os.walk(pdd) for f in fs
                if not os.path.relpath(os.path.join(b, f), pdd).startswith("project" + os.sep)),
        }
        result = ansible_runner.run(
            # No inventory argument: the runner then passes the private data directory's inventory/ (the script
            # above), as AWX does. A path that exists only inside the EE would be taken for inventory *text*.
            private_data_dir=pdd, playbook=job_template["playbook"],
            envvars=envvars, extravars=extravars, ssh_key=self.ssh_key, cmdline="-u %s" % self.machine_user,
            quiet=True, timeout=3600, **isolation)
        elapsed = round(time.monotonic() - started, 1)
        # what the job left in its checkout: nothing, state lives in the cloud, the state dir or the artifacts
        written = sorted(set(tree_digest(os.path.join(pdd, "project")).items()) - set(self.pristine.items()))
        record = {"job": name, "template": job_template["name"], "status": result.status, "rc": result.rc,
                  "inventory_update_seconds": update_time, "job_seconds": elapsed, "received": received,
                  "written_into_checkout": [path for path, _digest in written],
                  "private_data_dir": pdd, "artifact_dir": result.config.artifact_dir}
        self.records.append(record)
        return result, record
