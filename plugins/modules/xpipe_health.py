#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: xpipe_health
short_description: Prove an application host can reach the 371GPT XPipe server's health endpoint
version_added: 0.1.0
description:
  - Calls XPipe's health endpoint with the API key and checks, in order, C(request) (an answer came),
    C(status) (its code is in O(expected_status)), C(json) (the body is JSON), C(expected_json) (the body contains
    O(expected_json)) and, for HTTPS, C(certificate) (days until the server certificate expires).
  - Replaces the guide's C(curl -s http://${XPIPE_HOST}:${XPIPE_PORT}/health) with named checks and retries of
    transient answers (connection refused, timeouts, HTTP 5xx).
  - The default URL is built from E(XPIPE_HOST) and E(XPIPE_PORT), over HTTPS, since the guide asks for TLS everywhere.
author:
  - gpt371.infra maintainers (@gpt371)
extends_documentation_fragment:
  - gpt371.infra.probe
requirements:
  - requests on the host that runs the module
options:
  url:
    description:
      - Health endpoint URL.
      - Defaults to C(https://<XPIPE_HOST>:<XPIPE_PORT>/health) from the environment (port 8080 when unset).
    type: str
  api_key:
    description: API key sent in O(api_key_header). Falls back to E(XPIPE_API_KEY). Never logged.
    type: str
  api_key_header:
    description: Header that carries O(api_key).
    type: str
    default: X-API-Key
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  ca_cert:
    description:
      - CA certificate bundle (PEM) to verify the server certificate with, instead of the default bundle.
      - The same option name as in M(gpt371.infra.pg_probe) and M(gpt371.infra.s3_probe); the old name C(ca_path)
        stays an alias.
    type: path
    aliases: [ca_path]
  client_cert:
    description: Client certificate (PEM) for mutual TLS.
    type: path
  client_key:
    description: Key of O(client_cert), when not in the same file.
    type: path
  expected_status:
    description: HTTP status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  expected_json:
    description:
      - A subset the JSON body must contain (nested objects match as subsets, other values must be equal).
      - V({}) only requires the body to be JSON.
    type: dict
    default: {status: ok}
  require_json:
    description: Fail when the body is not JSON.
    type: bool
    default: true
  request_timeout:
    description: Seconds to wait to connect and for the answer.
    type: float
    default: 10.0
  cert_warning_days:
    description: Warn when the server certificate expires within this many days.
    type: int
    default: 14
seealso:
  - module: ansible.builtin.uri
  - module: gpt371.infra.pg_probe
  - module: gpt371.infra.s3_probe
'''

EXAMPLES = r'''
- name: Check XPipe from an app host
  gpt371.infra.xpipe_health:
    url: "https://{{ xpipe_instance_ip }}:8080/health"
    api_key: "{{ xpipe_api_key }}"
    ca_cert: /etc/371gpt/ca.pem

- name: Accept a degraded XPipe during a maintenance window
  gpt371.infra.xpipe_health:
    url: https://xpipe.internal.example:8080/health
    api_key: "{{ xpipe_api_key }}"
    expected_json: {}
    retries: 5
    delay: 2
'''

RETURN = r'''
ok:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
checks:
  description: One entry per check run (C(name), C(ok), C(detail), C(elapsed_ms)); the first failure ends an attempt.
  returned: always
  type: list
  elements: dict
  sample: [{name: status, ok: true, detail: "HTTP 200", elapsed_ms: 0}]
attempts:
  description: Attempts made; refused connections, timeouts and HTTP 5xx are retried up to O(retries) times.
  returned: always
  type: int
  sample: 2
elapsed_ms:
  description: Time of the whole run in milliseconds.
  returned: always
  type: int
  sample: 35
url:
  description: The URL called.
  returned: always
  type: str
  sample: https://10.0.0.11:8080/health
status:
  description: HTTP status of the last answer.
  returned: when an answer came
  type: int
  sample: 200
json:
  description: The parsed JSON body.
  returned: when the body is JSON
  type: dict
  sample: {status: ok, database: reachable, storage: reachable}
cert_days_remaining:
  description: Days until the server certificate expires (negative once expired).
  returned: for https URLs whose certificate could be read
  type: int
  sample: 364
failed_check:
  description: Name of the check that failed.
  returned: on failure
  type: str
  sample: status
cause:
  description: Cause of the failure in plain words.
  returned: on failure
  type: str
  sample: XPipe answered HTTP 500
fix:
  description: What to change.
  returned: on failure
  type: str
  sample: XPipe is failing; see its container logs on the xpipe host (docker compose logs xpipe)
msg:
  description: C(<check> check failed after N attempts, <cause>, <fix>).
  returned: on failure
  type: str
'''

import os
import traceback

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure, ProbeModule
from ansible_collections.gpt371.infra.plugins.module_utils._http import (
    days_until_expiry, handshake_certificate, json_mismatches, peer_certificate)

try:
    import requests
    HAS_REQUESTS, REQUESTS_ERROR = True, None
except ImportError:
    HAS_REQUESTS, REQUESTS_ERROR = False, traceback.format_exc()


def default_url():
    host = os.environ.get('XPIPE_HOST')
    if not host:
        return None
    return 'https://%s:%s/health' % (host, os.environ.get('XPIPE_PORT') or '8080')


class XpipeHealth(ProbeModule):
    argument_spec = dict(
        url=dict(type='str'),
        api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['XPIPE_API_KEY'])),
        api_key_header=dict(type='str', default='X-API-Key', no_log=False),
        validate_certs=dict(type='bool', default=True),
        ca_cert=dict(type='path', aliases=['ca_path']),
        client_cert=dict(type='path'),
        client_key=dict(type='path'),
        expected_status=dict(type='list', elements='int', default=[200]),
        expected_json=dict(type='dict', default={'status': 'ok'}),
        require_json=dict(type='bool', default=True),
        request_timeout=dict(type='float', default=10.0),
        cert_warning_days=dict(type='int', default=14),
    )
    module_kwargs = dict(required_by={'client_key': 'client_cert'})
    required_libs = ((HAS_REQUESTS, 'requests', REQUESTS_ERROR),)

    def __init__(self):
        super(XpipeHealth, self).__init__()
        self.url = self.params['url'] or default_url()
        if not self.url:
            self.ansible.fail_json(msg='url is not set and XPIPE_HOST is not in the environment:'
                                       ' pass url (e.g. https://<xpipe_instance_ip>:8080/health)')
        self.parts = urlsplit(self.url)
        if self.parts.scheme not in ('http', 'https') or not self.parts.hostname:
            self.ansible.fail_json(msg='url %r is not an http(s) URL: pass e.g. https://<host>:8080/health' % self.url)
        self.results['url'] = self.url
        self.session = requests.Session()

    def secrets(self):
        return [self.params['api_key']]

    def cleanup(self):
        self.session.close()

    def verify(self):
        p = self.params
        if not p['validate_certs']:
            return False
        return p['ca_cert'] or True

    def explain(self, check, exc):
        where = '%s:%s' % (self.parts.hostname, self.parts.port or (443 if self.parts.scheme == 'https' else 80))
        if isinstance(exc, requests.exceptions.SSLError):
            return ProbeFailure('the TLS certificate of %s could not be verified' % where,
                                'pass ca_cert with the CA that signed XPipe\'s certificate (or fix the name in it)',
                                detail=str(exc))
        if isinstance(exc, requests.exceptions.Timeout):
            return ProbeFailure('no answer from %s within %.0f s' % (where, self.params['request_timeout']),
                                'check XPipe is running on the xpipe host and a security group allows 8080 from'
                                ' this host', retryable=True, detail=str(exc))
        if isinstance(exc, requests.exceptions.ConnectionError):
            return ProbeFailure('cannot connect to %s (refused or unreachable)' % where,
                                'check the xpipe container runs (docker compose ps on the xpipe host), XPIPE_HOST /'
                                ' XPIPE_PORT, and that a security group allows the port from this host',
                                retryable=True, detail=str(exc))
        if check == 'certificate' and isinstance(exc, (OSError, ValueError)):
            return ProbeFailure('the certificate of %s could not be read: %s' % (where, exc),
                                'check the TLS set-up of XPipe', detail=str(exc))
        if isinstance(exc, requests.exceptions.RequestException):
            return ProbeFailure('request to %s failed: %s' % (where, exc), 'check the URL', detail=str(exc))
        return None

    def run(self):
        p = self.params
        headers = {'Accept': 'application/json'}
        if p['api_key']:
            headers[p['api_key_header']] = p['api_key']
        cert = (p['client_cert'], p['client_key']) if p['client_key'] else p['client_cert']
        timeout = self.deadline.bound(p['request_timeout'])
        with self.check('request') as c:
            # Streamed, so the TLS connection is still there to read its certificate before the body.
            resp = self.session.get(self.url, headers=headers, timeout=timeout, verify=self.verify(), cert=cert,
                                    allow_redirects=False, stream=True)
            peer = peer_certificate(resp) if self.parts.scheme == 'https' else (None, None)
            self.results['status'] = resp.status_code
            c.detail = 'HTTP %s in %d ms' % (resp.status_code, resp.elapsed.total_seconds() * 1000)
        with self.check('status') as c:
            self.check_status(resp)
            c.detail = 'HTTP %s' % resp.status_code
        body = None
        with self.check('json') as c:
            try:
                body = resp.json()
                self.results['json'] = body
                c.detail = 'JSON body'
            except ValueError:
                if p['require_json']:
                    raise ProbeFailure('the answer is not JSON (%s: %r)' % (
                        resp.headers.get('Content-Type', 'no content type'), resp.text[:80]),
                        'check url points at XPipe\'s /health and not at a proxy or another service')
                c.detail = 'not JSON (accepted: require_json is false)'
        if p['expected_json'] and body is not None:
            with self.check('expected_json') as c:
                diff = json_mismatches(p['expected_json'], body)
                if diff:
                    raise ProbeFailure('XPipe reports itself unhealthy: %s' % '; '.join(diff),
                                       'check XPipe\'s own dependencies (database, storage) in its logs on the xpipe'
                                       ' host; the body says what it cannot reach')
                c.detail = 'body contains %s' % p['expected_json']
        if self.parts.scheme == 'https':
            self.check_certificate(peer, timeout)

    def check_status(self, resp):
        code = resp.status_code
        if code in self.params['expected_status']:
            return
        if code in (401, 403):
            raise ProbeFailure('XPipe rejected the API key (HTTP %s)' % code,
                               'check XPIPE_API_KEY matches the key XPipe was deployed with and api_key_header (%s)'
                               % self.params['api_key_header'])
        if code >= 500:
            raise ProbeFailure('XPipe answered HTTP %s' % code,
                               'XPipe is failing; see its container logs on the xpipe host (docker compose logs'
                               ' xpipe)', retryable=True)
        if code == 404:
            raise ProbeFailure('%s does not exist on the server (HTTP 404)' % self.parts.path,
                               'check the url path (XPipe serves /health)')
        raise ProbeFailure('XPipe answered HTTP %s, expected one of %s' % (code, self.params['expected_status']),
                           'check the url and expected_status')

    def check_certificate(self, peer, timeout):
        p = self.params
        with self.check('certificate') as c:
            if peer[1] is None:  # the connection was not available: one handshake of our own
                peer = handshake_certificate(self.parts.hostname, self.parts.port or 443, timeout,
                                             cafile=p['ca_cert'], verify=bool(p['validate_certs']))
            days = days_until_expiry(*peer)
            if days is None:
                c.detail = 'expiry not readable without verification (install cryptography)'
                return
            self.results['cert_days_remaining'] = days
            if days < 0:
                raise ProbeFailure('XPipe\'s certificate expired %d days ago' % -days,
                                   'renew the certificate on the xpipe host')
            if days < p['cert_warning_days']:
                self.ansible.warn('XPipe\'s certificate expires in %d days' % days)
            c.detail = 'certificate valid for %d more days' % days


def main():
    XpipeHealth()()


if __name__ == '__main__':
    main()
