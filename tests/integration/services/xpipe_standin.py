"""XPipe stand-in: a stdlib HTTP(S) server with controllable faults (not the real XPipe).

Every path except /public/health requires the API key header (401 JSON otherwise).
  /health             200 {"status": "ok", "service": "xpipe", "version": "1.0"}
  /public/health      same, no key needed
  /status/<code>      <code> {"status": "error"}
  /flaky/<id>?fail=N  503 for the first N calls with that id, then 200 {"status": "ok"}
  /slow/<seconds>     sleeps (capped at 60 s), then 200 {"status": "ok"}
  /notjson            200 text/html "<html>ok</html>"
  /degraded           200 {"status": "degraded"}
One handler/state serves three listeners: http, https (CA-signed) and https (self-signed).
"""
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SLOW_CAP_S = 60.0  # keeps a mistaken /slow/99999 from pinning a thread for the whole session


class _State:
    def __init__(self, api_key, header):
        self.api_key = api_key
        self.header = header
        self.lock = threading.Lock()
        self.flaky_calls = {}  # id -> number of calls seen
        self.requests = []     # (method, path, had_valid_key) — lets tests assert what was sent


def _make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        server_version = "xpipe-standin/1.0"
        protocol_version = "HTTP/1.1"
        timeout = 120  # idle keep-alive connections are closed instead of holding a thread forever

        def log_message(self, *args):  # keep pytest output clean
            pass

        def _send(self, code, body, ctype="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _handle(self):
            url = urlsplit(self.path)
            path, query = url.path, parse_qs(url.query)
            authed = self.headers.get(state.header) == state.api_key
            with state.lock:
                state.requests.append((self.command, self.path, authed))

            if path == "/public/health":
                return self._send(200, {"status": "ok", "service": "xpipe", "version": "1.0"})
            if not authed:
                return self._send(401, {"status": "error", "error": "missing or invalid API key"})
            if path == "/health":
                return self._send(200, {"status": "ok", "service": "xpipe", "version": "1.0"})
            m = re.fullmatch(r"/status/(\d{3})", path)
            if m:
                return self._send(int(m.group(1)), {"status": "error"})
            m = re.fullmatch(r"/flaky/([\w.-]+)", path)
            if m:
                fail = int(query.get("fail", ["1"])[0])
                with state.lock:
                    n = state.flaky_calls.get(m.group(1), 0) + 1
                    state.flaky_calls[m.group(1)] = n
                if n <= fail:
                    return self._send(503, {"status": "unavailable", "call": n})
                return self._send(200, {"status": "ok", "call": n})
            m = re.fullmatch(r"/slow/(\d+(?:\.\d+)?)", path)
            if m:
                time.sleep(min(float(m.group(1)), SLOW_CAP_S))
                return self._send(200, {"status": "ok"})
            if path == "/notjson":
                return self._send(200, b"<html>ok</html>", "text/html")
            if path == "/degraded":
                return self._send(200, {"status": "degraded"})
            return self._send(404, {"status": "error", "error": "not found"})

        def _drain_body(self):
            # Clients may POST; read the body so keep-alive framing stays intact.
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)

        def do_GET(self):
            self._handle()

        def do_HEAD(self):
            self._handle()

        def do_POST(self):
            self._drain_body()
            self._handle()

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client never blocks interpreter exit
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # Clients that reject our certificate or hang up mid-request are expected in the fault tests.
        pass


class XPipeStandin:
    """Start with .start(); .stop() shuts all listeners down. Ports are chosen by the OS."""

    def __init__(self, api_key, pki, header="X-API-Key", host="127.0.0.1"):
        self.state = _State(api_key, header)
        self.host = host
        self.pki = pki
        self._servers = {}
        self._threads = []

    def _listen(self, name, cert=None, key=None):
        srv = _Server((self.host, 0), _make_handler(self.state))
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            # Handshake lazily in the per-connection thread, not in accept(): a client that connects
            # and stalls (or rejects our cert) must not block the listener.
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                             name=f"xpipe-standin-{name}", daemon=True)
        t.start()
        self._servers[name] = srv
        self._threads.append(t)
        return srv.server_address[1]

    def start(self):
        http = self._listen("http")
        https = self._listen("https", self.pki["server_cert"], self.pki["server_key"])
        selfsigned = self._listen("selfsigned", self.pki["selfsigned_cert"], self.pki["selfsigned_key"])
        return {
            "url": f"http://{self.host}:{http}",
            "url_https": f"https://{self.host}:{https}",
            "url_https_selfsigned": f"https://{self.host}:{selfsigned}",
            "selfsigned_cert": self.pki["selfsigned_cert"],
            "api_key": self.state.api_key,
            "api_key_header": self.state.header,
        }

    def stop(self):
        for srv in self._servers.values():
            srv.shutdown()
            srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
