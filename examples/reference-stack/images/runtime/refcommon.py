"""Helpers shared by the reference-stack services (stdlib only)."""
import json
import os
import socket
import ssl
import threading
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


def tls_files():
    """(cert, key) from TLS_CERT_FILE / TLS_KEY_FILE when both files exist, else None (plain HTTP)."""
    cert, key = os.environ.get("TLS_CERT_FILE", ""), os.environ.get("TLS_KEY_FILE", "")
    if cert and key and os.path.isfile(cert) and os.path.isfile(key):
        return cert, key
    return None


def server_context(cert, key):
    """A TLS server context (TLS 1.2 or newer) with the certificate chain and key."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


def client_context():
    """The context for HTTPS calls to the other services: TLS_CA_FILE (the CA that signed them) when it exists."""
    ca = os.environ.get("TLS_CA_FILE", "")
    return ssl.create_default_context(cafile=ca if ca and os.path.isfile(ca) else None)


def serve(name, port, routes, api_key_env=None, tls_port=None):
    """Serve GET routes ({path: callable -> (status, dict)}) as JSON on port.

    With TLS files (tls_files()): HTTPS on ``tls_port`` beside plain HTTP on ``port`` when ``tls_port`` is given,
    else HTTPS on ``port`` itself.
    """

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

    files = tls_files()
    plain = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    if files and tls_port:
        secure = ThreadingHTTPServer(("0.0.0.0", tls_port), Handler)
        secure.socket = server_context(*files).wrap_socket(secure.socket, server_side=True)
        threading.Thread(target=secure.serve_forever, daemon=True).start()
        print("%s listening on :%d (https)" % (name, tls_port), flush=True)
    elif files:
        plain.socket = server_context(*files).wrap_socket(plain.socket, server_side=True)
    print("%s listening on :%d (%s)" % (name, port, "https" if files and not tls_port else "http"), flush=True)
    plain.serve_forever()
