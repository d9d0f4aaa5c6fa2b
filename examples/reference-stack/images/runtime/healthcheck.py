"""Container healthcheck: GET http://127.0.0.1:$PORT$HEALTH_PATH answers 200 with status ok."""
import json
import os
import sys
import urllib.request

port = os.environ.get("HEALTH_PORT") or os.environ.get("XPIPE_PORT", "8080")
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, os.environ.get("HEALTH_PATH", "/health")))
if os.environ.get("XPIPE_API_KEY") and not os.environ.get("HEALTH_NO_KEY"):
    req.add_header("X-API-Key", os.environ["XPIPE_API_KEY"])
try:
    with urllib.request.urlopen(req, timeout=3) as resp:
        sys.exit(0 if json.load(resp).get("status") == "ok" else 1)
except Exception as exc:  # noqa: BLE001 (any failure means unhealthy)
    print(exc)
    sys.exit(1)
