"""Container healthcheck: GET http(s)://127.0.0.1:$PORT$HEALTH_PATH answers 200 with status ok.

HTTPS (certificate not checked: the service checks its own port) when HEALTH_TLS=1, or when the service serves
TLS on that port (TLS_CERT_FILE and TLS_KEY_FILE exist and no separate TLS port, API_TLS_LISTEN_PORT, is set)."""
import json
import os
import ssl
import sys
import urllib.request

port = os.environ.get("HEALTH_PORT") or os.environ.get("XPIPE_PORT", "8080")
tls = os.environ.get("HEALTH_TLS") == "1" or (
    all(os.path.isfile(os.environ.get(v, "") or "/nonexistent") for v in ("TLS_CERT_FILE", "TLS_KEY_FILE"))
    and not os.environ.get("API_TLS_LISTEN_PORT"))
ctx = None
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
scheme = "https" if tls else "http"
req = urllib.request.Request("%s://127.0.0.1:%s%s" % (scheme, port, os.environ.get("HEALTH_PATH", "/health")))
if os.environ.get("XPIPE_API_KEY") and not os.environ.get("HEALTH_NO_KEY"):
    req.add_header("X-API-Key", os.environ["XPIPE_API_KEY"])
try:
    with urllib.request.urlopen(req, timeout=3, context=ctx) as resp:
        sys.exit(0 if json.load(resp).get("status") == "ok" else 1)
except Exception as exc:  # noqa: BLE001 (any failure means unhealthy)
    print(exc)
    sys.exit(1)
