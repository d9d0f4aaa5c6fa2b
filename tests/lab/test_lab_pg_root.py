"""The lab's PostgreSQL starts whatever the umask and the clone's parent modes are (issue 10).

A newcomer's first `make demo` stopped at initdb: lab.sh runs under umask 077, so the folders made for the
cluster were 0700 root and the postgres user could not reach its data. Each case runs the lab's own
lib.sh + services/postgres.sh from a copy of lab/ placed like a clone would be, under umask 077, with a
var root that does not exist yet (as on a fresh machine), and checks that the cluster answers.
"""
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

SCRIPT = r"""
set -euo pipefail
umask 077
source "$CLONE/lab/lib.sh"
source "$CLONE/lab/services/postgres.sh"
PG_PORT=$PORT LAB_PASS=lab-test
mkdir -p "$STATE/done" "$RUN" "$LOGS"
trap postgres_down EXIT
postgres_up
"$PG_BIN/pg_isready" -h "$PG_ROOT/run" -p "$PG_PORT"
echo "PG_ROOT=$PG_ROOT"
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_lab(clone):
    os.makedirs(os.path.join(clone, "lab", "services"))
    for rel in ("lab/lib.sh", "lab/services/postgres.sh"):
        shutil.copy(os.path.join(REPO, rel), os.path.join(clone, rel))


@pytest.mark.parametrize("parent_mode", [0o700, 0o755], ids=["private-parent", "open-parent"])
def test_lab_postgres_starts_under_umask_077(parent_mode):
    parent = tempfile.mkdtemp(prefix="gpt371-pgroot-")  # 0700, like mktemp -d
    var_parent = tempfile.mkdtemp(prefix="gpt371-pgvar-")
    try:
        os.chmod(parent, parent_mode)
        os.chmod(var_parent, 0o755)  # stands for /var/lib: open, while the var root itself is new
        clone = os.path.join(parent, "clone")
        _copy_lab(clone)
        var_root = os.path.join(var_parent, "gpt371-lab")
        env = dict(os.environ, CLONE=clone, PORT=str(_free_port()), LAB_VAR_ROOT=var_root)
        proc = subprocess.run(["bash", "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=180,
                              check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out + _tail(clone)
        assert "accepting connections" in out
        pg_root = out.split("PG_ROOT=")[1].split()[0]
        if parent_mode == 0o700:
            # postgres cannot reach a private clone: the cluster moved to the var root, made 0755 down to it.
            assert pg_root.startswith(var_root + "/")
            assert os.stat(var_root).st_mode & 0o777 == 0o755
        else:
            assert pg_root == os.path.join(clone, "lab", ".state", "pg")
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        shutil.rmtree(var_parent, ignore_errors=True)


def _tail(clone):
    log = os.path.join(clone, "lab", ".state", "logs", "setup.log")
    if os.path.exists(log):
        with open(log, encoding="utf-8") as handle:
            return "\nsetup.log:\n" + handle.read()[-3000:]
    return ""
