"""A collection you can install (issue 14).

`ansible-galaxy collection build` makes a tarball of the collection only (no lab, tests, bench, images, venvs or
caches), it installs offline, and `ansible-doc` reads a module from that install alone: another directory, an empty
ansible.cfg, no collection of the checkout or of the Python path. ansible-builder's introspection of the install
finds the collection's own EE requirements (meta/execution-environment.yml), which agree with the controller's
run-time pins; the development pins stay out of the run-time set and the EE. ansible-navigator.yml runs site.yml
in the EE that execution-environment.yml builds.
"""
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
TARBALL = "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])
FQCN = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])

# The whole top level of the tarball: the collection and what its content reads at run time
# (examples/reference-stack: the stack role's default source; awx/: the assets playbooks/awx_configure.yml imports).
TOP_LEVEL = {"MANIFEST.json", "FILES.json", "README.md", "COPYING", "LICENSE", "meta", "plugins", "roles", "playbooks", "docs",
             "changelogs", "examples", "awx"}
# Folders whose files (less byte code and Molecule scenarios) all go into the tarball.
SHIPPED_TREES = ("meta", "plugins", "roles", "playbooks", "docs", "changelogs", "examples/reference-stack")
# Never a component of a path in the tarball (test tooling, caches, links of a checkout).
NEVER = {"tests", "molecule", "__pycache__", ".pytest_cache", ".molecule", ".venv", ".collections", ".cache", ".git",
         ".state"}
# Run-time pins the collection's meta does not name, and why: the bundle itself, what AWX and ansible-navigator
# run the playbooks with, and community.docker's declared EE requirements (its meta names them).
RUNTIME_NOT_IN_META = {"ansible", "ansible-runner", "docker", "paramiko"}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(path):
    """{normalized name: Requirement} of a pip requirements file; `-r` lines are left out."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            found[norm(req.name)] = req
    return found


def bindep_lines(path):
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def run(argv, tmp, **env):
    """A command of the venv, run from `tmp` (outside the checkout) with an empty ansible.cfg and HOME."""
    empty_cfg = tmp / "empty.cfg"
    empty_cfg.touch()
    (tmp / "home").mkdir(exist_ok=True)
    environ = {"PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "/usr/bin:/bin")]), "HOME": str(tmp / "home"),
               "LANG": "C.UTF-8", "ANSIBLE_CONFIG": str(empty_cfg), "ANSIBLE_NOCOLOR": "1", **env}
    proc = subprocess.run([str(BIN / argv[0])] + argv[1:], cwd=tmp, env=environ, capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, "%s\n%s%s" % (" ".join(argv), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("collection-build")


@pytest.fixture(scope="module")
def tarball(work):
    run(["ansible-galaxy", "collection", "build", "--output-path", str(work / "dist"), str(REPO)], work)
    path = work / "dist" / TARBALL
    assert path.is_file(), sorted(os.listdir(work / "dist"))
    return path


@pytest.fixture(scope="module")
def members(tarball):
    with tarfile.open(tarball) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


@pytest.fixture(scope="module")
def installed(tarball, work):
    """The collections path the tarball was installed into, offline and without its dependencies."""
    path = work / "collections"
    run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(path), str(tarball)], work)
    assert (path / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"] / "MANIFEST.json").is_file()
    return path


def test_the_tarball_holds_the_collection(members):
    assert {name.split("/", 1)[0] for name in members} == TOP_LEVEL
    for path in ("COPYING", "LICENSE", "README.md", "meta/runtime.yml", "meta/execution-environment.yml",
                 "meta/ee-requirements.txt", "meta/ee-bindep.txt", "plugins/modules/pg_probe.py",
                 "plugins/action/stack_plan.py", "plugins/doc_fragments/probe.py", "roles/verify/tasks/main.yml",
                 "playbooks/site.yml", "docs/integration-guide.md", "changelogs/changelog.yaml",
                 "examples/reference-stack/compose.yml", "awx/assets.yml"):
        assert path in members and members[path].isfile(), path
    expected = set()
    for tree in SHIPPED_TREES:
        for root, dirs, files in os.walk(REPO / tree):
            dirs[:] = [d for d in dirs if d not in NEVER]
            expected.update(os.path.relpath(os.path.join(root, f), REPO) for f in files if not f.endswith(".pyc"))
    assert sorted(expected - set(members)) == [], "files of the collection left out of the tarball"


def test_the_tarball_leaves_the_project_out(members):
    assert [n for n in members if NEVER & set(n.split("/")) or n.endswith((".pyc", ".tar.gz"))] == []
    # awx/: the assets users import, not the EE build of the project
    assert {n for n in members if n.startswith("awx/")} == {"awx/README.md", "awx/assets.yml", "awx/requirements.yml"}
    # examples/: the reference stack the stack role deploys, not the user's project of examples/project
    assert [n for n in members if n.startswith("examples/project")] == []
    # no requirements of the project's venv, its EE definition or set-up at the top (meta/ has the collection's)
    for name in ("requirements.txt", "requirements-dev.txt", "bindep.txt", "execution-environment.yml",
                 "ansible-navigator.yml", "ansible.cfg", "site.yml", "Makefile", "lab", "bench", "images", "scripts",
                 "inventories", "reports", "outputs", "examples/project"):
        assert name not in members, name


def test_manifest_license_and_no_placeholder(members, tarball):
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        copying = tar.extractfile("COPYING").read().decode("utf-8")
        license_text = tar.extractfile("LICENSE").read().decode("utf-8")
    info = manifest["collection_info"]
    assert info["license"] == ["GPL-3.0-or-later"] and info["license_file"] is None
    assert info["dependencies"] == GALAXY["dependencies"]
    for field in ("repository", "documentation", "homepage", "issues"):  # a real address or none
        assert info[field] is None or not re.search(r"\.(invalid|example|test)\b|example\.(com|org)", info[field])
    assert "example.invalid" not in json.dumps(manifest)
    assert "GNU GENERAL PUBLIC LICENSE" in copying and "Version 3, 29 June 2007" in copying
    assert "END OF TERMS AND CONDITIONS" in copying  # the whole text, not a notice
    assert (REPO / "COPYING").read_text(encoding="utf-8") == copying
    # LICENSE (what Galaxy, GitHub and pip-style tooling look for) is the same text as COPYING (what the headers name)
    assert license_text == copying == (REPO / "LICENSE").read_text(encoding="utf-8")


def test_file_headers_point_at_the_license_file():
    """The headers say `see COPYING`: the file is there, and it is what galaxy.yml declares."""
    headed = [p for p in (REPO / "plugins").rglob("*.py") if "see COPYING" in p.read_text(encoding="utf-8")]
    assert headed, "no plugin names COPYING any more: update this test"
    assert (REPO / "COPYING").is_file()
    assert GALAXY["license"] == ["GPL-3.0-or-later"] and "license_file" not in GALAXY


def test_ansible_doc_reads_pg_probe_from_the_install_alone(installed, work):
    out = run(["ansible-doc", "-t", "module", "--json", FQCN + ".pg_probe"], work,
              ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    doc = json.loads(out)[FQCN + ".pg_probe"]["doc"]
    assert doc["filename"].startswith(str(installed) + os.sep), doc["filename"]
    assert doc["short_description"] and "ssl_mode" in doc["options"]
    text = run(["ansible-doc", "-t", "module", FQCN + ".pg_probe"], work,
               ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    assert FQCN + ".pg_probe" in text and str(installed) in text


def test_builder_introspection_reads_the_collections_ee_requirements(installed, work):
    out = run(["ansible-builder", "introspect", str(installed)], work)
    data = yaml.safe_load(out[out.index("---"):])
    ours = "  # from collection " + FQCN
    python = [line[:-len(ours)] for line in data["python"] if line.endswith(ours)]
    system = [line[:-len(ours)] for line in data["system"] if line.endswith(ours)]
    meta = REPO / "meta"
    assert python == [str(r) for r in requirements(meta / "ee-requirements.txt").values()]
    assert system == bindep_lines(meta / "ee-bindep.txt")
    assert not [line for line in data["python"] + data["system"] if not line.endswith(ours)]


def test_ee_requirements_agree_with_the_runtime_pins():
    meta = yaml.safe_load((REPO / "meta/execution-environment.yml").read_text(encoding="utf-8"))
    assert meta["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}
    declared = requirements(REPO / "meta/ee-requirements.txt")
    runtime = requirements(REPO / "requirements.txt")
    assert sorted(set(declared) - set(runtime)) == [], "the collection declares what the controller does not pin"
    assert sorted(set(runtime) - set(declared) - RUNTIME_NOT_IN_META) == [], \
        "a run-time pin the collection does not declare: a dev/test package belongs in requirements-dev.txt"
    for name, req in declared.items():
        (pin,) = [s.version for s in runtime[name].specifier if s.operator == "=="]
        assert req.specifier.contains(pin), "%s: the pinned %s is outside %s" % (name, pin, req.specifier)
    # the project's EE installs the bindep lines the collection needs
    assert set(bindep_lines(REPO / "meta/ee-bindep.txt")) <= set(bindep_lines(REPO / "bindep.txt"))


def test_dev_requirements_extend_the_runtime_set():
    text = (REPO / "requirements-dev.txt").read_text(encoding="utf-8")
    assert re.search(r"^-r requirements\.txt$", text, re.M)
    runtime, dev = requirements(REPO / "requirements.txt"), requirements(REPO / "requirements-dev.txt")
    assert sorted(set(runtime) & set(dev)) == [], "pinned in both files"
    assert all(any(s.operator == "==" for s in r.specifier) for r in list(runtime.values()) + list(dev.values()))
    for tool in ("pytest", "molecule", "ansible-lint", "ansible-builder", "moto", "python-openstackclient"):
        assert tool in dev and tool not in runtime, tool
    bootstrap = (REPO / "scripts/bootstrap.sh").read_text(encoding="utf-8")
    assert re.search(r"pip install .*-r requirements\.txt -r requirements-dev\.txt", bootstrap)
    assert re.search(r"^want=.*cat requirements\.txt requirements-dev\.txt", bootstrap, re.M)  # the stamp covers both


def test_the_ee_installs_the_runtime_set_only():
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text(encoding="utf-8"))
    assert ee["dependencies"]["python"] == "requirements.txt"
    assert ee["dependencies"]["system"] == "bindep.txt"
    copied = {f["src"] for f in ee["additional_build_files"]}
    assert {"galaxy.yml", "COPYING", "LICENSE", "meta", "plugins", "roles", "playbooks"} <= copied


def test_navigator_runs_site_yml_in_the_ee():
    nav = yaml.safe_load((REPO / "ansible-navigator.yml").read_text(encoding="utf-8"))["ansible-navigator"]
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text(encoding="utf-8"))
    assert nav["mode"] == "stdout"
    assert nav["ansible"]["playbook"]["path"] == "site.yml" and (REPO / "site.yml").is_file()
    engine = nav["execution-environment"]
    assert engine["enabled"] is True and engine["pull"]["policy"] == "never"
    assert engine["image"] == "gpt371-ee:0.1.0" == ee["options"]["tags"][0]
    # its log goes to .cache/, which git ignores, not to ansible-navigator.log in the checkout
    assert nav["logging"]["file"].startswith(".cache/")
    assert ".cache/" in (REPO / ".gitignore").read_text(encoding="utf-8").split()


# --- examples/project: a user's project on the installed collection (the lab run: tests/installed) ---------------
PROJECT = REPO / "examples" / "project"
# The password of the committed example vault file (its values are CHANGE-ME placeholders; examples/project/README.md).
EXAMPLE_VAULT_PASSWORD = "example-only"


@pytest.fixture(scope="module")
def installed_with_deps(tarball, work):
    """The tarball installed the way a user does, offline, into an empty path: its dependencies are found in the
    `ansible` package (nothing else is installed), gpt371.infra alone lands in the path."""
    path = work / "user-collections"
    # The bundle's collections path, named: ansible-core < 2.21.5 does not look for installed dependencies on
    # Python's path by itself (seen on 2.21.0).
    bundle = Path(sysconfig.get_paths()["purelib"])
    assert (bundle / "ansible_collections" / "openstack" / "cloud").is_dir()
    out = run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(path), str(tarball)], work,
              ANSIBLE_COLLECTIONS_PATH=str(bundle))
    for dependency in GALAXY["dependencies"]:
        assert re.search(r"'%s:[^']+' is already installed, skipping" % re.escape(dependency), out), (dependency, out)
    assert sorted(os.listdir(path / "ansible_collections")) == [GALAXY["namespace"]]
    assert sorted(os.listdir(path / "ansible_collections" / GALAXY["namespace"])) == [GALAXY["name"]]
    return path


@pytest.fixture
def project(tmp_path):
    """A copy of examples/project with its vault password file (made here, as a user does) and an empty HOME."""
    dest = tmp_path / "project"
    shutil.copytree(PROJECT, dest)
    (dest / ".vault-password").write_text(EXAMPLE_VAULT_PASSWORD + "\n", encoding="utf-8")
    (dest / ".vault-password").chmod(0o600)
    (tmp_path / "home").mkdir()
    return dest


def in_project(argv, project, collections, check=True):
    """A command run from the project directory with its own ansible.cfg (no ANSIBLE_CONFIG), an empty HOME and
    only `collections` (plus the `ansible` package) as collections path."""
    environ = {"PATH": os.pathsep.join([str(BIN), "/usr/bin", "/bin"]), "HOME": str(project.parent / "home"),
               "LANG": "C.UTF-8", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    proc = subprocess.run([str(BIN / argv[0])] + argv[1:], cwd=project, env=environ, capture_output=True, text=True,
                          check=False, timeout=300)
    if check:
        assert proc.returncode == 0, "%s\n%s%s" % (" ".join(argv), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def test_the_example_project_finds_the_collection_in_the_install_only(installed_with_deps, project):
    proc = in_project(["ansible-galaxy", "collection", "list", "--format", "json"], project, installed_with_deps)
    listing = json.loads(proc.stdout)
    holders = sorted(path for path, found in listing.items() if FQCN in found)
    assert holders == [str(installed_with_deps / "ansible_collections")], holders
    # its dependencies: the bundle's, at versions galaxy.yml accepts
    bundled = {name: info["version"] for path, found in listing.items() for name, info in found.items()
               if path != str(installed_with_deps / "ansible_collections")}
    for dependency, spec in GALAXY["dependencies"].items():
        assert dependency in bundled, dependency
        assert SpecifierSet(spec).contains(bundled[dependency]), (dependency, bundled[dependency], spec)


def test_the_example_project_syntax_checks_site_from_the_install(installed_with_deps, project):
    proc = in_project(["ansible-playbook", "--syntax-check", "-v", FQCN + ".site"], project, installed_with_deps)
    out = proc.stdout + proc.stderr
    assert "Using %s as config file" % (project / "ansible.cfg") in out
    (playbook,) = re.findall(r"^playbook: (\S+)$", proc.stdout, re.M)
    assert playbook == str(installed_with_deps / "ansible_collections/gpt371/infra/playbooks/site.yml")
    # the inventory is the collection's dynamic inventory (the install's: the checkout is on no path); with no
    # clouds.yaml here it names the cloud it looked for
    assert "gpt371.infra.deployment: reading the servers of cloud 'my-openstack' failed" in out, out[-2000:]
    assert str(REPO) not in out


def test_the_example_vault_holds_what_the_settings_name(project, installed_with_deps):
    vault = project / "inventory/group_vars/all/vault.yml"
    assert vault.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT;1.1;AES256\n")
    proc = in_project(["ansible-vault", "view", str(vault)], project, installed_with_deps)
    secrets = yaml.safe_load(proc.stdout)
    settings = (project / "inventory/group_vars/all/main.yml").read_text(encoding="utf-8")
    assert sorted(secrets) == sorted(set(re.findall(r"\b(vault_\w+)\b", settings)))
    assert set(secrets.values()) == {"CHANGE-ME"}  # placeholders only: nothing real is committed
    inventory = yaml.safe_load((project / "inventory/deployment.yml").read_text(encoding="utf-8"))
    main = yaml.safe_load(settings)
    assert inventory["plugin"] == FQCN + ".deployment"
    assert inventory["deployment"] == main["infra_deployment"] and inventory["cloud"] == main["infra_cloud"]
    assert inventory["access"] == main["infra_access"]


def test_the_example_project_points_into_no_checkout():
    cfg = configparser.ConfigParser()
    cfg.read(PROJECT / "ansible.cfg")
    assert not {"collections_path", "collections_paths"} & set(cfg["defaults"]), "collections come from the install"
    assert cfg["defaults"]["vault_password_file"] == ".vault-password"
    assert ".vault-password" in (PROJECT / ".gitignore").read_text(encoding="utf-8").split()
    requirements_yml = yaml.safe_load((PROJECT / "requirements.yml").read_text(encoding="utf-8"))
    assert [c["name"] for c in requirements_yml["collections"]] == [FQCN]
