"""execution-environment.yml: `ansible-builder create` writes a build context offline."""
import os
import re
import subprocess
import sys

import yaml

from conftest import REPO

BUILDER = os.path.join(os.path.dirname(sys.executable), "ansible-builder")


def test_ansible_builder_create_offline(tmp_path):
    context = tmp_path / "context"
    # No network: a proxy that points nowhere, and nothing in the command reaches out anyway.
    env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    proc = subprocess.run([BUILDER, "create", "-f", os.path.join(REPO, "execution-environment.yml"),
                           "-c", str(context), "--output-filename", "Containerfile"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    with open(os.path.join(REPO, "execution-environment.yml"), encoding="utf-8") as fh:
        definition = yaml.safe_load(fh)
    assert definition["version"] == 3
    assert containerfile.startswith('ARG EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"])
    build = context / "_build"
    requirements = (build / "requirements.txt").read_text()
    for package in ("ansible", "psycopg2-binary", "boto3", "requests", "openstacksdk", "docker", "paramiko"):
        assert re.search(r"^%s==" % re.escape(package), requirements, re.M), package
    assert "openssh-client [platform:dpkg]" in (build / "bindep.txt").read_text()
    # the collection goes into the image, so gpt371.infra.* resolves in any project checkout
    for path in ("galaxy.yml", "plugins/modules/pg_probe.py", "roles/verify/tasks/main.yml", "playbooks/verify.yml"):
        assert (build / "collection" / path).is_file(), path
    assert "ansible-galaxy collection install --offline --no-deps" in containerfile
    assert "pip_install" not in containerfile  # Debian's python3 has no ensurepip; the base has pip


def test_ee_runner_matches_the_controller_pin():
    # The EE installs the controller's run-time requirements.txt itself (execution-environment.yml).
    def pins(path):
        with open(os.path.join(REPO, path), encoding="utf-8") as fh:
            return dict(re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", fh.read(), re.M))
    controller = pins("requirements.txt")
    with open(os.path.join(REPO, "execution-environment.yml"), encoding="utf-8") as fh:
        deps = yaml.safe_load(fh)["dependencies"]
    assert deps["ansible_runner"]["package_pip"] == "ansible-runner==" + controller["ansible-runner"]
