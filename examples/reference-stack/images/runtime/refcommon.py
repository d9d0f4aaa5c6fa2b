"""Helpers shared by the reference-stack services (stdlib only)."""
import json
import os
import socket
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.time()


def reach(host, port, timeout=2.0):
    """TCP-connect host:port; return a dict describing the outcome."""
    out = {"host": host, "port": port, "reachable": False}
    if not host or not port:
        out["error"] = "not configured"
        return out
    t0 = time.monotonic()
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            out["reachable"] = True
    except (OSError, ValueError) as exc:
        out["error"] = str(exc)
    out["ms"] = round((time.monotonic() - t0) * 1000, 1)
    return out


def endpoint_host_port(url):
    """Split an S3 endpoint URL (or host:port) into host and port."""
    if not url:
        return None, None
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def serve(name, port, routes, api_key_env=None):
    """Serve GET routes ({path: callable -> (status, dict)}) as JSON on port."""

    class Handler(BaseHTTPRequestHandler):
        server_version = name

        def _send(self, status, body):
            data = json.dumps(body, sort_keys=True).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server naming)
            key = os.environ.get(api_key_env or "", "") if api_key_env else ""
            if key and self.headers.get("X-API-Key", "") != key:
                self._send(401, {"status": "unauthorized", "service": name})
                return
            route = routes.get(urllib.parse.urlsplit(self.path).path)
            if route is None:
                self._send(404, {"status": "not found", "service": name})
                return
            status, body = route()
            body.setdefault("service", name)
            body.setdefault("uptime_s", round(time.time() - STARTED, 1))
            self._send(status, body)

        def log_message(self, fmt, *args):
            print("%s %s" % (self.address_string(), fmt % args), flush=True)

    print("%s listening on :%d" % (name, port), flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
