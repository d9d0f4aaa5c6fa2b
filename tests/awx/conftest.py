"""Fixtures for the AWX tests: awxkit (in its own venv), the asset file, AWX's credential injection.

awxkit needs setuptools<81 (pkg_resources), so it lives in .cache/awxkit-venv, not in .venv; the fixture
makes that venv from PyPI when it is missing.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ASSETS = os.path.join(REPO, "awx", "assets.yml")
AWXKIT_VENV = os.path.join(REPO, ".cache", "awxkit-venv")
AWXKIT_REQUIREMENTS = ["awxkit==24.6.1", "setuptools<81"]
EE_IMAGE = "gpt371-ee:0.1.0"
VENV_BIN = os.path.dirname(sys.executable)


def awxkit_python():
    python = os.path.join(AWXKIT_VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", AWXKIT_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q"] + AWXKIT_REQUIREMENTS, check=True)
    return python


def run_awxkit_check(path):
    """Run tests/awx/awxkit_check.py on an asset file with awxkit's Python; returns its JSON report."""
    proc = subprocess.run([awxkit_python(), os.path.join(HERE, "awxkit_check.py"), path],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def awxkit_report():
    return run_awxkit_check(ASSETS)


@pytest.fixture(scope="session")
def assets(awxkit_report):
    """The asset file as awxkit's loader reads it (anchors and merge keys resolved)."""
    return awxkit_report["assets"]


@pytest.fixture(scope="session")
def job_templates(assets):
    """Job templates by playbook base name: {'verify': {...}, ...}."""
    return {os.path.splitext(os.path.basename(jt["playbook"]))[0]: jt for jt in assets["job_templates"]}


@pytest.fixture(scope="session")
def ee_image():
    """gpt371-ee:0.1.0, built (or found up to date) by images/build.sh ee."""
    assert shutil.which("docker"), "docker CLI missing: scripts/bootstrap.sh installs it (make setup)"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False, timeout=60)
    assert info.returncode == 0, "no Docker engine answers (make engine / scripts/dockerd.sh): " + info.stderr[-500:]
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["bash", os.path.join(REPO, "images", "build.sh"), "ee"], env=env, capture_output=True,
                          text=True, check=False, timeout=3600)
    assert proc.returncode == 0, "images/build.sh ee failed:\n" + (proc.stdout + proc.stderr)[-4000:]
    inspect = subprocess.run(["docker", "image", "inspect", EE_IMAGE], capture_output=True, check=False)
    assert inspect.returncode == 0, "images/build.sh ee built no %s" % EE_IMAGE
    return EE_IMAGE
