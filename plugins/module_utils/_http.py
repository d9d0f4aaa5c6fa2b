# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""HTTP side of the probes: one http.client connection, and xpipe_health's JSON matching and failures.

:class:`HttpConnection` is all the HTTP a probe needs, on the standard library alone (as
``ansible.builtin.uri`` is): one connection per run, reused by every request, no retries underneath
the probe's own, and the TLS facts (version, certificate) of the very socket the requests used.
Why a TLS connection failed is _tls.py's business. Messages live in ``XPIPE_MESSAGES``, keyed by
cause; the reason travels beside them, never in them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client as http_client

from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure
# Their former home: tests/unit/plugins/module_utils/test_diagnose_report.py still reads them here.
from ansible_collections.gpt371.infra.plugins.module_utils._tls import TLS_MESSAGES, tls_failure  # noqa: F401 pylint: disable=unused-import

# key -> (reason, cause template, fix template). Fields: where, host, port, path, status, expected, header,
# ctype, body, diff, waited, detail.
XPIPE_MESSAGES = {
    'auth': ('auth', 'XPipe rejected the API key (HTTP {status})',
             'check XPIPE_API_KEY matches the key XPipe was deployed with and api_key_header ({header})'),
    'denied': ('denied', 'XPipe refused this API key access to {path} (HTTP 403)',
               'the key is known but may not read {path}: check its permissions in XPipe, or the url path'),
    'server_error': ('unhealthy', 'XPipe answered HTTP {status}',
                     'XPipe is failing; see its container logs on the xpipe host (docker compose logs xpipe)'),
    'not_found': ('not_found', '{path} does not exist on the server (HTTP 404)',
                  'check the url path (XPipe serves /health)'),
    'status': ('protocol', 'XPipe answered HTTP {status}, expected one of {expected}',
               'check the url and expected_status'),
    'not_json': ('protocol', 'the answer is not JSON ({ctype}: {body})',
                 "check url points at XPipe's /health and not at a proxy or another service"),
    'unhealthy': ('unhealthy', 'XPipe reports itself unhealthy: {diff}',
                  "check XPipe's own dependencies (database, storage) in its logs on the xpipe host;"
                  ' the body says what it cannot reach'),
    'refused': ('refused', 'connection refused at {where}',
                'check the xpipe container runs (docker compose ps on the xpipe host), XPIPE_HOST / XPIPE_PORT,'
                ' and that a security group allows port {port} from this host'),
    'timeout': ('timeout', 'no answer from {where} within {waited:.1f} s',
                'check XPipe is running on the xpipe host and a security group allows port {port} from this host'),
    'dns': ('dns', 'the name {host} does not resolve',
            'check XPIPE_HOST (use the private IP from the outputs file) and DNS resolution between the hosts'),
    'unreachable': ('unreachable', 'cannot reach {where} (no route to it, or the connection was dropped)',
                    'check both hosts are on the same private network and a security group allows port {port}'),
    'request': ('error', 'request to {where} failed: {detail}', 'check the url'),
    'cert_unreadable': ('error', 'the certificate of {where} could not be read: {detail}',
                        'check the TLS set-up of XPipe'),
}


def message(table, key, retryable=None, **fields):
    """ProbeFailure from a (reason, cause, fix) table entry; a ``detail`` field is kept as the check detail."""
    reason, cause, fix = table[key]
    return ProbeFailure(reason, cause.format(**fields), fix.format(**fields), retryable=retryable,
                        detail=fields.get('detail'))


def json_mismatches(expected, actual, path=''):
    """Where ``actual`` does not contain ``expected``: a list of 'path: expected X, got Y'.

    Dicts match as subsets (extra keys in ``actual`` are fine); everything else must be equal.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ['%s: expected an object, got %r' % (path or '$', actual)]
        out = []
        for key in sorted(expected):
            sub = '%s.%s' % (path, key) if path else key
            if key not in actual:
                out.append('%s: missing (expected %r)' % (sub, expected[key]))
            else:
                out.extend(json_mismatches(expected[key], actual[key], sub))
        return out
    if expected != actual:
        return ['%s: expected %r, got %r' % (path or '$', expected, actual)]
    return []


def status_failure(status, expected, path, header):
    """The failure of an HTTP status outside ``expected``."""
    fields = dict(status=status, expected=expected, path=path or '/', header=header)
    if status == 401:
        return message(XPIPE_MESSAGES, 'auth', **fields)
    if status == 403:
        return message(XPIPE_MESSAGES, 'denied', **fields)
    if status >= 500:
        return message(XPIPE_MESSAGES, 'server_error', **fields)
    if status == 404:
        return message(XPIPE_MESSAGES, 'not_found', **fields)
    return message(XPIPE_MESSAGES, 'status', **fields)


# -- certificates ------------------------------------------------------------------------------


HTTP_ERRORS = (OSError, http_client.HTTPException)


class HttpConnection:
    """One HTTP(S) connection for the requests of a probe run (http.client, no retries underneath).

    ``request()`` returns (status, headers as a lower-cased dict, body bytes) and reads the whole
    answer, so the connection can serve the next request; a server that closes it gets a new one.
    ``tls_version`` and ``peer`` ((decoded cert or {}, DER)) are those of the last TLS handshake.
    ``keep_alive=False``, for a caller with one request per connection: each request asks the server to close
    (``Connection: close``) and the connection ends with the answer. A keep-alive answer that a server writes in
    two sends (headers, then body) without TCP_NODELAY waits for this side's delayed ACK (40 ms on Linux) before
    its body comes; a server that closes sends it at once.
    """

    def __init__(self, scheme, host, port, ssl_context=None, keep_alive=True):
        self.scheme, self.host, self.port = scheme, host, port
        self.ssl_context = ssl_context
        self.keep_alive = keep_alive
        self.conn = None
        self.tls_version = None
        self.peer = (None, None)

    def _open(self, timeout):
        if self.scheme == 'https':
            conn = http_client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.ssl_context)
        else:
            conn = http_client.HTTPConnection(self.host, self.port, timeout=timeout)
        conn.connect()
        sock = conn.sock
        if hasattr(sock, 'version'):
            self.tls_version = sock.version()
            self.peer = (sock.getpeercert() or {}, sock.getpeercert(binary_form=True))
        return conn

    def request(self, method, path, headers=None, body=None, timeout=10.0):
        if self.conn is None or self.conn.sock is None:
            self.close()
            self.conn = self._open(timeout)
        else:
            self.conn.sock.settimeout(timeout)
        headers = dict(headers or {})
        if not self.keep_alive:
            headers['Connection'] = 'close'
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except BaseException:
            self.close()  # half a request or answer: never reuse that connection
            raise
        answer = dict((k.lower(), v) for k, v in resp.getheaders())
        if resp.will_close or not self.keep_alive:
            self.close()
        return resp.status, answer, data

    def close(self):
        if self.conn is not None:
            conn, self.conn = self.conn, None
            conn.close()
