"""Session fixtures for the lab tests: the lab cloud up (`bash lab/lab.sh up`) and connections to it.

  lab_up       path of the lab's clouds.yaml, after `lab.sh up` succeeded (with LAB_EVENT_DELAY=15)
  conn         openstacksdk connection as the collection's non-admin user (cloud gpt371-lab)
  admin_conn   the same as the lab's admin (cloud gpt371-lab-admin)
  cleanup      register(callable): run at the end of the test, last registered first
"""
import os
import subprocess

import pytest
from openstack import config as os_config
from openstack import connection

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLOUDS_YAML = os.path.join(REPO, "lab", ".state", "clouds.yaml")
# The lab tests run with a real cloud's event lag: Neutron tells Nova of port and floating IP changes in batches
# 15 s apart (lab/README.md, "Slow like a real cloud"), so a read that races an event fails here first.
LAB_EVENT_DELAY = "15"


@pytest.fixture(scope="session")
def lab_up():
    # Cold, this builds the lab's venv and databases: minutes. Warm, it only checks.
    env = dict(os.environ, LAB_EVENT_DELAY=LAB_EVENT_DELAY)
    proc = subprocess.run(["bash", os.path.join(REPO, "lab", "lab.sh"), "up"], capture_output=True,
                          text=True, timeout=1200, check=False, env=env)
    assert proc.returncode == 0, f"lab.sh up failed:\n{proc.stdout}\n{proc.stderr}"
    return CLOUDS_YAML


def _connect(clouds_yaml, cloud):
    # Only the lab's clouds.yaml: the user's own OS_* variables and files must not leak in. connect_retries: a pooled
    # keep-alive connection the API's gunicorn closed as it was reused ("Remote end closed connection without
    # response", keystoneauth's ConnectFailure) is opened again, as a client of a real cloud would.
    config = os_config.OpenStackConfig(config_files=[clouds_yaml], load_envvars=False)
    region = config.get_one(cloud=cloud, connect_retries=3)
    return connection.Connection(config=region)


@pytest.fixture(scope="session")
def conn(lab_up):
    return _connect(lab_up, "gpt371-lab")


@pytest.fixture(scope="session")
def admin_conn(lab_up):
    return _connect(lab_up, "gpt371-lab-admin")


@pytest.fixture
def cleanup():
    actions = []
    yield actions.append
    errors = []
    for action in reversed(actions):
        try:
            action()
        except Exception as exc:  # keep cleaning up; report at the end
            errors.append(repr(exc))
    assert not errors, f"clean-up failed: {errors}"
