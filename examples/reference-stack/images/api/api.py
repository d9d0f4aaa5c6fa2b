"""Stand-in for the FastAPI layer: GET /health, and GET /xpipe relays XPipe's /health.

Plain HTTP on API_LISTEN_PORT (8000: the agents on the private network) and, with TLS_CERT_FILE/TLS_KEY_FILE,
HTTPS on API_TLS_LISTEN_PORT (8443: the public endpoint behind the floating IP). XPipe is called over
XPIPE_SCHEME (default: https when the CA file TLS_CA_FILE exists, else http)."""
import json
import os
import urllib.request

import refcommon


def health():
    return 200, {"status": "ok", "db_name": os.environ.get("DB_NAME", "")}


def xpipe():
    ca = os.environ.get("TLS_CA_FILE", "")
    scheme = os.environ.get("XPIPE_SCHEME") or ("https" if ca and os.path.isfile(ca) else "http")
    url = "%s://%s:%s/health" % (scheme, os.environ.get("XPIPE_HOST", "xpipe"), os.environ.get("XPIPE_PORT", "8080"))
    req = urllib.request.Request(url)
    if os.environ.get("XPIPE_API_KEY"):
        req.add_header("X-API-Key", os.environ["XPIPE_API_KEY"])
    try:
        with urllib.request.urlopen(req, timeout=3, context=refcommon.client_context()) as resp:
            return 200, {"status": "ok", "xpipe": json.load(resp)}
    except Exception as exc:  # noqa: BLE001
        return 502, {"status": "error", "error": str(exc), "url": url}


if __name__ == "__main__":
    refcommon.serve("api", int(os.environ.get("API_LISTEN_PORT", "8000")), {"/health": health, "/xpipe": xpipe},
                    tls_port=int(os.environ.get("API_TLS_LISTEN_PORT", "8443")))
