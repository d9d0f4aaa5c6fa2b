"""Session fixtures for the integration tests: real services and an ansible-playbook runner.

  services      dict of endpoints/credentials (also written to tests/output/services.json):
                PostgreSQL+pgvector in Docker (TLS, plain, no-vector variants + hang/closed ports),
                moto S3 with IAM auth on (http + https), the XPipe stand-in (http, https, self-signed)
  run_playbook  run_playbook(path, extra_vars=None, verbosity=0, check=False, diff=False, env=None,
                timeout=600) -> CompletedProcess
"""
import json
import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # so `services` imports without a package __init__ chain
from services.local import LocalServices  # noqa: E402
from stack_node import ansible_env  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
OUTPUT = os.path.join(REPO, "tests", "output")
INVENTORY = os.path.join(os.path.dirname(__file__), "inventory.yml")


@pytest.fixture(scope="session")
def services(tmp_path_factory):
    local = LocalServices(str(tmp_path_factory.mktemp("services")))
    # `timeout 600 pytest ...` ends with SIGTERM, whose default action skips fixture teardown and would
    # leak containers; as KeyboardInterrupt, pytest tears the session down first.
    main = threading.current_thread() is threading.main_thread()  # signal() only works there
    previous_sigterm = signal.signal(signal.SIGTERM, _sigterm_to_interrupt) if main else None
    try:
        info = local.start()
        os.makedirs(OUTPUT, exist_ok=True)
        # Atomic replace: concurrent pytest sessions share tests/output; a reader never sees half a file.
        tmp = os.path.join(OUTPUT, f".services.json.{os.getpid()}")
        with open(tmp, "w") as fh:
            json.dump(info, fh, indent=2)
        os.replace(tmp, os.path.join(OUTPUT, "services.json"))
        yield info
    finally:
        local.stop()
        if main:
            signal.signal(signal.SIGTERM, previous_sigterm)


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _run_playbook(playbook_path, extra_vars=None, verbosity=0, check=False, diff=False, env=None,
                  timeout=600, inventory=None):
    """Run ansible-playbook on localhost (connection local) from the repo root.

    Returns CompletedProcess with .stdout and .stderr (text) and, for convenience, .output
    (stdout followed by stderr). Extra vars go through a JSON @file, removed after the run.
    On timeout the whole process group is killed and subprocess.TimeoutExpired is raised.
    """
    path = playbook_path if os.path.isabs(playbook_path) else os.path.join(REPO, playbook_path)
    # Default: localhost with the venv's Python; `inventory` (a path) for hosts with their own connection.
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory or INVENTORY, path]
    if inventory is None:
        cmd[3:3] = ["-c", "local"]
    vars_file = None
    if extra_vars:
        os.makedirs(OUTPUT, exist_ok=True)
        vars_file = os.path.join(OUTPUT, f"extra-vars-{os.getpid()}-{uuid.uuid4().hex}.json")
        fd = os.open(vars_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # may hold secrets
        with os.fdopen(fd, "w") as fh:
            json.dump(extra_vars, fh)
        cmd += ["-e", "@" + vars_file]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")

    run_env = ansible_env(env)

    # Own process group: a timeout kills ansible's forks too, not just the parent.
    proc = subprocess.Popen(cmd, cwd=REPO, env=run_env, text=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise subprocess.TimeoutExpired(cmd, timeout, output=out, stderr=err)
    finally:
        if vars_file:
            os.unlink(vars_file)
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    result.output = out + err
    return result


@pytest.fixture(scope="session")
def run_playbook():
    return _run_playbook
