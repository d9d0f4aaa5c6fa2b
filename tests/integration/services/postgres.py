"""PostgreSQL 17 + pgvector servers in Docker (image gpt371-pgvector:17, built offline by images/build.sh).

Variants (all with database 371gpt, user app, the same random password, and the auth schema):
  tls       ssl on, vector extension created
  plain     ssl off
  novector  ssl on, vector extension NOT created
Containers are named gpt371-test-pg-<variant>-<suffix>, publish 5432 on a random 127.0.0.1 port,
and are removed by id at session end.
"""
import os
import shutil
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
IMAGE = "gpt371-pgvector:17"
DBNAME = "371gpt"
USER = "app"
VARIANTS = {
    "tls": {"PG_TLS": "on", "PG_VECTOR": "on", "PG_AUTH_SCHEMA": "on"},
    "plain": {"PG_TLS": "off", "PG_VECTOR": "on", "PG_AUTH_SCHEMA": "on"},
    "novector": {"PG_TLS": "on", "PG_VECTOR": "off", "PG_AUTH_SCHEMA": "on"},
}


def _docker(*args, timeout=120, check=True):
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and r.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:2])} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def ensure_engine():
    """Start a Docker engine when none answers (fresh machines run none)."""
    if _docker("info", check=False, timeout=30).returncode == 0:
        return
    r = subprocess.run(["bash", os.path.join(REPO, "scripts", "dockerd.sh")],
                       capture_output=True, text=True, timeout=120, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"no Docker engine: scripts/dockerd.sh failed:\n{r.stdout}{r.stderr}")


def ensure_image():
    """Build the image if missing (offline, cached by tag; nothing is pulled)."""
    if _docker("image", "inspect", IMAGE, check=False).returncode == 0:
        return
    r = subprocess.run(["bash", os.path.join(REPO, "images", "build.sh"), "pgvector"],
                       capture_output=True, text=True, timeout=1800, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"building {IMAGE} failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")


def reap_orphans():
    """Remove test containers whose pytest process is gone (killed with SIGKILL, so no teardown ran).
    Containers of live sessions — including concurrent ones — are left alone."""
    r = _docker("ps", "-a", "--filter", "label=gpt371.test=integration",
                "--format", '{{.ID}} {{.Label "gpt371.test.pid"}}', check=False)
    dead = []
    for line in r.stdout.splitlines():
        cid, _sep, pid = line.partition(" ")
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            dead.append(cid)
    if dead:
        _docker("rm", "-f", "-v", *dead, check=False, timeout=60)


class PgServers:
    def __init__(self, pki, workdir, password):
        self.password = password
        self.suffix = uuid.uuid4().hex[:8]
        self.ids = {}  # variant -> container id
        # The container's postgres user must read the key: a dedicated 0755 dir with a 0644 key copy
        # (the entrypoint copies it into PGDATA and tightens it to 0600 there).
        self.certdir = os.path.join(workdir, "pg-certs")
        os.makedirs(self.certdir, exist_ok=True)
        os.chmod(self.certdir, 0o755)
        for src, dst in ((pki["server_cert"], "server.crt"), (pki["server_key"], "server.key")):
            shutil.copyfile(src, os.path.join(self.certdir, dst))
            os.chmod(os.path.join(self.certdir, dst), 0o644)

    def _start_one(self, variant, ready_timeout):
        env = {"PG_PASSWORD": self.password, "PG_DB": DBNAME, "PG_USER": USER, **VARIANTS[variant]}
        args = ["run", "-d", "--name", f"gpt371-test-pg-{variant}-{self.suffix}",
                "--label", "gpt371.test=integration", "--label", f"gpt371.test.pid={os.getpid()}",
                "-p", "127.0.0.1::5432", "-v", f"{self.certdir}:/certs:ro",
                # PGDATA on tmpfs: initdb's fsyncs dominate start-up on disk (~25 s vs ~5 s under
                # load) and the data is throwaway. initdb needs to own the directory.
                "--tmpfs", f"/var/lib/postgresql/data:rw,uid={self.uid},gid={self.gid},mode=0700"]
        for k, v in env.items():
            args += ["-e", f"{k}={v}"]
        cid = _docker(*args, IMAGE).stdout.strip()
        self.ids[variant] = cid
        port = int(_docker("port", cid, "5432/tcp").stdout.strip().splitlines()[0].rsplit(":", 1)[1])
        self._wait_ready(variant, cid, port, ready_timeout)
        return port

    def _wait_ready(self, variant, cid, port, timeout):
        """Ready = the app user can log in over TCP. The entrypoint's init phase listens on no TCP
        address, so a successful login means the final server is up with everything created."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                psycopg2.connect(host="127.0.0.1", port=port, dbname=DBNAME, user=USER,
                                 password=self.password, connect_timeout=3,
                                 sslmode="require" if VARIANTS[variant]["PG_TLS"] == "on" else "disable").close()
                return
            except psycopg2.OperationalError as e:
                last = e
            state = _docker("inspect", "-f", "{{.State.Running}}", cid, check=False).stdout.strip()
            if state != "true":
                break  # exited: no point waiting out the deadline
            time.sleep(0.5)
        logs = _docker("logs", "--tail", "40", cid, check=False)
        raise RuntimeError(f"PostgreSQL {variant} ({cid[:12]}) not ready within {timeout}s: {last}\n"
                           f"docker logs:\n{logs.stdout}{logs.stderr}")

    def start(self, ready_timeout=60):
        """Start all variants in parallel; return {variant: host port}."""
        ensure_engine()
        reap_orphans()
        ensure_image()
        ids = _docker("run", "--rm", "--entrypoint", "sh", IMAGE, "-c", "id -u; id -g").stdout.split()
        self.uid, self.gid = int(ids[0]), int(ids[1])
        with ThreadPoolExecutor(len(VARIANTS)) as pool:
            futures = {v: pool.submit(self._start_one, v, ready_timeout) for v in VARIANTS}
            ports, errors = {}, []
            for v, f in futures.items():
                try:
                    ports[v] = f.result()
                except Exception as e:  # collect all, so every failure is reported and cleaned up
                    errors.append(f"{v}: {e}")
        if errors:
            self.stop()
            raise RuntimeError("\n".join(errors))
        return ports

    def stop(self):
        ids, self.ids = list(self.ids.values()), {}
        if ids:  # one call for all: by id, never prune
            _docker("rm", "-f", "-v", *ids, check=False, timeout=60)
