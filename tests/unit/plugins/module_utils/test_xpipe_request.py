"""The request xpipe_health sends, against a real HTTP/1.1 keep-alive server on 127.0.0.1."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils._probe import embedded_params
from ansible_collections.gpt371.infra.plugins.module_utils._xpipe_probe import XpipeHealth


class _KeepAlive(BaseHTTPRequestHandler):
    """Like the XPipe stand-in: HTTP/1.1, headers and body in two sends, no TCP_NODELAY."""
    protocol_version = 'HTTP/1.1'
    seen = []
    status = 200

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.seen.append(dict(self.headers.items()))
        body = json.dumps({'status': 'ok' if self.status == 200 else 'error'}).encode()
        self.send_response(self.status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    _KeepAlive.seen = []
    _KeepAlive.status = 200
    srv = ThreadingHTTPServer(('127.0.0.1', 0), _KeepAlive)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def probe(server, **more):
    url = 'http://127.0.0.1:%d/health' % server.server_port
    params, _no_log, error = embedded_params(XpipeHealth, dict(url=url, api_key='k-123', **more))
    assert error is None
    return XpipeHealth(params, warn=lambda msg: None).execute()


def test_the_one_request_asks_the_server_to_close_the_connection(server):
    # A keep-alive answer from such a server waits for the client's delayed ACK before the body (40 ms on Linux):
    # the probe sends one request per attempt, so it asks for the connection to end with the answer.
    result = probe(server)
    assert result['ok'], result
    assert len(_KeepAlive.seen) == 1
    headers = dict((k.lower(), v) for k, v in _KeepAlive.seen[0].items())
    assert headers.get('connection') == 'close'
    assert headers.get('x-api-key') == 'k-123'


def test_a_retry_opens_a_new_connection_to_the_server_that_kept_the_last_one(server):
    # The server keeps its side open after the answer (no "Connection: close" in it): the second attempt must not
    # reuse the first one's connection, or it reads nothing ("connection dropped") instead of the status.
    _KeepAlive.status = 500
    result = probe(server, retries=1, delay=0)
    assert not result['ok']
    assert (result['failed_check'], result['attempts'], result['status']) == ('status', 2, 500), result
    assert len(_KeepAlive.seen) == 2
