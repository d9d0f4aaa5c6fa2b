"""Stand-in for XPipe: GET /health reports this container's own reachability of
the database (DB_HOST:DB_PORT) and the object store (STORAGE_ENDPOINT)."""
import os
import socket

import refcommon


def health():
    db = refcommon.reach(os.environ.get("DB_HOST"), os.environ.get("DB_PORT", "5432"))
    s_host, s_port = refcommon.endpoint_host_port(os.environ.get("STORAGE_ENDPOINT", ""))
    storage = refcommon.reach(s_host, s_port)
    storage["endpoint"] = os.environ.get("STORAGE_ENDPOINT", "")
    return 200, {
        "status": "ok",
        "hostname": socket.gethostname(),
        "db": db,
        "storage": storage,
        "bucket": os.environ.get("STORAGE_BUCKET", ""),
        "auth": bool(os.environ.get("XPIPE_API_KEY")),
    }


if __name__ == "__main__":
    refcommon.serve("xpipe", int(os.environ.get("XPIPE_PORT", "8080")), {"/health": health},
                    api_key_env="XPIPE_API_KEY")
