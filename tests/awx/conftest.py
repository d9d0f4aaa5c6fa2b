"""Fixtures for the AWX tests: awxkit (in its own venv), the asset file, AWX's credential injection.

awxkit needs setuptools<81 (pkg_resources), so it lives in .cache/awxkit-venv, not in .venv; the fixture
makes that venv from PyPI when it is missing.
"""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ASSETS = os.path.join(REPO, "awx", "assets.yml")
AWXKIT_VENV = os.path.join(REPO, ".cache", "awxkit-venv")
AWXKIT_REQUIREMENTS = ["awxkit==24.6.1", "setuptools<81"]


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
