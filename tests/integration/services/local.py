"""All probe targets at once: PostgreSQL variants, S3 (moto), the XPipe stand-in, hang/closed ports.

Used by the pytest `services` fixture, by bench/probes.py and by scripts/demo.sh, so the three
see the same servers. `LocalServices().start()` returns the dict the targets read as `svc`.
"""
import os
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.dirname(HERE) not in sys.path:
    sys.path.insert(0, os.path.dirname(HERE))
from services import certs, postgres, s3, tcp, xpipe_standin  # noqa: E402

SERVER_CERT_DAYS = 90


class LocalServices:
    def __init__(self, workdir):
        self.workdir = workdir
        self.pki = certs.make_pki(os.path.join(workdir, "pki"), server_days=SERVER_CERT_DAYS)
        self.pg = postgres.PgServers(self.pki, workdir, password=secrets.token_urlsafe(18))
        self.moto = s3.MotoS3(self.pki, workdir)
        self.xpipe = xpipe_standin.XPipeStandin(secrets.token_urlsafe(24), self.pki, header="X-API-Key")
        self.hang = tcp.HangListener()

    def start(self):
        # Containers take seconds to initialise; start everything at once.
        with ThreadPoolExecutor(2) as pool:
            pg_future = pool.submit(self.pg.start)
            s3_future = pool.submit(self.moto.start)
            xpipe_info = self.xpipe.start()
            hang_port = self.hang.start()
            s3_info = s3_future.result()
            pg_ports = pg_future.result()
        return {
            "ca_cert": self.pki["ca_cert"],
            "pg": {
                "host": "127.0.0.1",
                "port": pg_ports["tls"],
                "port_plain": pg_ports["plain"],
                "port_novector": pg_ports["novector"],
                "port_hang": hang_port,
                "port_closed": tcp.closed_port(),
                "dbname": postgres.DBNAME,
                "user": postgres.USER,
                "password": self.pg.password,
            },
            "s3": {**s3_info, "endpoint_down": f"http://127.0.0.1:{tcp.closed_port()}"},
            "xpipe": {**xpipe_info, "cert_days": SERVER_CERT_DAYS},
        }

    def stop(self):
        # Each stop is idempotent and safe on a half-started service.
        for stop in (self.pg.stop, self.moto.stop, self.xpipe.stop, self.hang.stop):
            try:
                stop()
            except Exception as e:  # keep tearing down the rest
                print(f"teardown: {stop.__qualname__} failed: {e}", file=sys.stderr)


def guide_env(svc):
    """The guide's .env variables (plus XPIPE_API_KEY) pointing at these services, over TLS."""
    pg, s3, xp = svc["pg"], svc["s3"], svc["xpipe"]
    host, port = xp["url_https"].split("://", 1)[1].rsplit(":", 1)
    return {"DB_HOST": pg["host"], "DB_PORT": str(pg["port"]), "DB_NAME": pg["dbname"], "DB_USER": pg["user"],
            "DB_PASSWORD": pg["password"], "STORAGE_ENDPOINT": s3["endpoint_https"],
            "STORAGE_ACCESS_KEY": s3["access_key"], "STORAGE_SECRET_KEY": s3["secret_key"],
            "STORAGE_BUCKET": s3["bucket"], "XPIPE_HOST": host, "XPIPE_PORT": port, "XPIPE_API_KEY": xp["api_key"]}
