"""Stand-in for the FastAPI layer: GET /health, and GET /xpipe relays XPipe's /health."""
import json
import os
import urllib.request

import refcommon


def health():
    return 200, {"status": "ok", "db_name": os.environ.get("DB_NAME", "")}


def xpipe():
    url = "http://%s:%s/health" % (os.environ.get("XPIPE_HOST", "xpipe"), os.environ.get("XPIPE_PORT", "8080"))
    req = urllib.request.Request(url)
    if os.environ.get("XPIPE_API_KEY"):
        req.add_header("X-API-Key", os.environ["XPIPE_API_KEY"])
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:
            return 200, {"status": "ok", "xpipe": json.load(resp)}
    except Exception as exc:  # noqa: BLE001
        return 502, {"status": "error", "error": str(exc), "url": url}


if __name__ == "__main__":
    refcommon.serve("api", int(os.environ.get("API_LISTEN_PORT", "8000")), {"/health": health, "/xpipe": xpipe})
