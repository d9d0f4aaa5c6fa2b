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
    O(expected_json)) and, for HTTPS, C(certificate) (days until the server certificate expires; with
    O(validate_certs=false) an expired or not yet valid certificate fails here, since no handshake refused it).
  - Replaces the guide's C(curl -s http://${XPIPE_HOST}:${XPIPE_PORT}/health) with named checks and retries of
    transient answers (connection refused, timeouts, HTTP 5xx).
  - The default URL is built from E(XPIPE_HOST) and E(XPIPE_PORT), over HTTPS, since the guide asks for TLS everywhere.
author:
  - gpt371.infra maintainers (@gpt371)
extends_documentation_fragment:
  - gpt371.infra.probe
requirements:
  - Nothing beyond Python on the host that runs the module (the standard library's C(http.client) and C(ssl), as
    M(ansible.builtin.uri)). With O(validate_certs=false), reading the certificate dates needs C(cryptography).
options:
  url:
    description:
      - Health endpoint URL.
      - Defaults to C(https://<XPIPE_HOST>:<XPIPE_PORT>/health) from the environment (port 8080 when unset).
      - A URL that is not http(s), has no host or a port outside 1-65535 fails before any network call with reason
        V(config).
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
      - Checked before any network call, a missing or unreadable file, or one without a certificate, fails with
        reason V(config).
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
    description:
      - Seconds to wait to connect and for the answer; there are no retries underneath the module's own.
      - Never more than what is left of O(timeout), which bounds the whole task.
    type: float
    default: 10.0
  cert_warning_days:
    description: Warn when the server certificate expires within this many days.
    type: int
    default: 14
notes:
  - Its failures carry the reasons V(auth), V(config), V(denied), V(dns), V(error), V(not_found), V(protocol),
    V(refused), V(timeout), V(tls_expired), V(tls_handshake), V(tls_hostname), V(tls_not_tls), V(tls_not_yet_valid),
    V(tls_protocol), V(tls_self_signed), V(tls_untrusted), V(unhealthy) or V(unreachable).
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
extends_documentation_fragment:
  - gpt371.infra.probe
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
  description:
    - Whole days until the server certificate expires, rounded toward zero (V(-3) three days and some hours after).
    - Whether it has expired is decided on the timestamps (RV(cert_not_after)), so V(0) may be either side.
  returned: for https URLs whose certificate could be read
  type: int
  sample: 364
cert_not_after:
  description: When the server certificate expires (UTC).
  returned: for https URLs whose certificate could be read
  type: str
  sample: '2027-12-03T08:00:00Z'
'''

import datetime
import json
import os
import re

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    ProbeModule, check_file, invalid_option, network_reason, run_probe)
from ansible_collections.gpt371.infra.plugins.module_utils._http import (
    HTTP_ERRORS, XPIPE_MESSAGES, HttpConnection, json_mismatches, message, status_failure)
from ansible_collections.gpt371.infra.plugins.module_utils._tls import (
    certificate_dates, days_until_expiry, handshake_certificate, tls_context, tls_diagnosis, tls_failure)

HEADER_TOKEN = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"


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
    first_check = 'request'

    def __init__(self):
        super(XpipeHealth, self).__init__()
        self.url = self.params['url'] or default_url()
        self.results['url'] = self.url or ''
        self.parts = urlsplit(self.url or '')
        self.http = None

    def secrets(self):
        return [self.params['api_key']]

    def target(self):
        return self.where()

    def where(self):
        return '%s:%s' % (self.parts.hostname, self.port())

    def port(self):
        try:
            port = self.parts.port
        except ValueError:
            port = None
        return port or (443 if self.parts.scheme == 'https' else 80)

    def timeout_failure(self, check, waited):
        return message(XPIPE_MESSAGES, 'timeout', **self.fields(waited=waited))

    def validate(self):
        p = self.params
        if not self.url:
            raise invalid_option('url', p['url'], 'an http(s) URL; or set XPIPE_HOST (and XPIPE_PORT) in the'
                                 ' environment of ansible-playbook', 'https://<xpipe_instance_ip>:8080/health')
        if self.parts.scheme not in ('http', 'https') or not self.parts.hostname:
            raise invalid_option('url', self.url, 'an http(s) URL with a host name', 'https://10.10.0.11:8080/health')
        try:
            port = self.parts.port
        except ValueError:
            port = -1
        if port is not None and not 1 <= port <= 65535:
            raise invalid_option('url', self.url, 'an http(s) URL whose port is from 1 to 65535',
                                 'https://10.10.0.11:8080/health')
        for code in p['expected_status']:
            if not 100 <= code <= 599:
                raise invalid_option('expected_status', p['expected_status'], 'a list of HTTP status codes (100-599)',
                                     '[200]')
        if p['request_timeout'] <= 0:
            raise invalid_option('request_timeout', p['request_timeout'], 'a number of seconds > 0', '10')
        if p['cert_warning_days'] < 0:
            raise invalid_option('cert_warning_days', p['cert_warning_days'], 'a number of days >= 0', '14')
        if not re.match(HEADER_TOKEN, p['api_key_header']):
            raise invalid_option('api_key_header', p['api_key_header'], 'an HTTP header name', 'X-API-Key')
        check_file('ca_cert', p['ca_cert'], pem=True)
        check_file('client_cert', p['client_cert'])
        check_file('client_key', p['client_key'])

    def cleanup(self):
        if self.http is not None:
            self.http.close()

    def fields(self, **more):
        out = dict(where=self.where(), host=self.parts.hostname, port=self.port(), path=self.parts.path or '/',
                   waited=self.waited(), header=self.params['api_key_header'])
        out.update(more)
        return out

    def explain(self, check, exc):
        if check == 'certificate' and isinstance(exc, (OSError, ValueError)):
            return message(XPIPE_MESSAGES, 'cert_unreadable', **self.fields(detail=str(exc)))
        if not isinstance(exc, HTTP_ERRORS):
            return None
        reason, retryable = network_reason(exc)
        if reason == 'tls':
            return self.tls_failure(exc)
        if reason in ('dns', 'refused', 'unreachable', 'timeout'):
            return message(XPIPE_MESSAGES, reason, retryable=retryable if reason == 'dns' else None,
                           **self.fields(detail=str(exc)))
        return message(XPIPE_MESSAGES, 'request', **self.fields(detail='%s: %s' % (type(exc).__name__, exc)))

    def tls_failure(self, exc):
        """Why the TLS connection failed, from handshakes of our own (the library says little more than "failed")."""
        p = self.params
        diagnosis = tls_diagnosis(self.parts.hostname, self.port(), self.deadline.bound(p['request_timeout']),
                                  verify=p['validate_certs'], cafile=p['ca_cert'],
                                  client_cert=(p['client_cert'], p['client_key']) if p['client_key'] else
                                  p['client_cert'])
        return tls_failure(diagnosis, self.where(), p['ca_cert'], 'an http:// url', fallback_detail=str(exc),
                           server_setting="XPipe's TLS settings, or those of the proxy in front of it")

    def run(self):
        p = self.params
        headers = {'Accept': 'application/json'}
        if p['api_key']:
            headers[p['api_key_header']] = p['api_key']
        timeout = self.deadline.bound(p['request_timeout'])
        https = self.parts.scheme == 'https'
        if self.http is None:
            context = tls_context(p['validate_certs'], p['ca_cert'], p['client_cert'], p['client_key']) if https \
                else None
            self.http = HttpConnection(self.parts.scheme, self.parts.hostname, self.port(), context)
        path = self.parts.path or '/'
        if self.parts.query:
            path += '?' + self.parts.query
        with self.check('request') as c:
            status, answer, data = self.http.request('GET', path, headers=headers, timeout=timeout)
            self.results['status'] = status
            if self.http.tls_version:
                self.results['tls_version'] = self.http.tls_version
            c.detail = 'HTTP %s in %d ms' % (status, c.elapsed() * 1000)
        with self.check('status') as c:
            if status not in p['expected_status']:
                raise status_failure(status, p['expected_status'], self.parts.path, p['api_key_header'])
            c.detail = 'HTTP %s' % status
        body = None
        with self.check('json') as c:
            try:
                body = json.loads(data.decode('utf-8'))
                self.results['json'] = body
                c.detail = 'JSON body'
            except ValueError:
                if p['require_json']:
                    raise message(XPIPE_MESSAGES, 'not_json', **self.fields(
                        ctype=answer.get('content-type', 'no content type'),
                        body=repr(data[:80].decode('utf-8', 'replace'))))
                c.detail = 'not JSON (accepted: require_json is false)'
        if p['expected_json'] and body is not None:
            with self.check('expected_json') as c:
                diff = json_mismatches(p['expected_json'], body)
                if diff:
                    raise message(XPIPE_MESSAGES, 'unhealthy', **self.fields(diff='; '.join(diff)))
                c.detail = 'body contains %s' % p['expected_json']
        if https:
            self.check_certificate(self.http.peer, timeout)

    def check_certificate(self, peer, timeout):
        p = self.params
        with self.check('certificate') as c:
            if peer[1] is None:  # the connection was not available: one handshake of our own
                peer = handshake_certificate(self.parts.hostname, self.port(), timeout,
                                             cafile=p['ca_cert'], verify=bool(p['validate_certs']))
            not_before, not_after = certificate_dates(*peer)
            if not_after is None:
                c.detail = 'expiry not readable without verification (install cryptography)'
                return
            days = days_until_expiry(*peer)
            self.results['cert_days_remaining'] = days
            self.results['cert_not_after'] = not_after.strftime('%Y-%m-%dT%H:%M:%SZ')
            now = datetime.datetime.now(datetime.timezone.utc)
            # Reached with validate_certs: false only: a verifying client refuses these in the handshake.
            for reason, broken in (('tls_expired', now > not_after),
                                   ('tls_not_yet_valid', not_before is not None and now < not_before)):
                if broken:
                    raise tls_failure(dict(reason=reason, host=self.parts.hostname, not_after=not_after,
                                           not_before=not_before), self.where(), p['ca_cert'], 'an http:// url')
            if days < p['cert_warning_days']:
                self.ansible.warn("XPipe's certificate expires in %d days" % days)
            c.detail = 'certificate valid for %d more days' % days


def main():
    run_probe(XpipeHealth)


if __name__ == '__main__':
    main()
