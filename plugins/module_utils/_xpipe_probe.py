# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The checks of the xpipe_health module, also run by host_probes (one module run for all of an app host's probes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    ProbeModule, check_file, invalid_option, network_reason)
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
    module_name = 'xpipe_health'
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

    def __init__(self, params=None, warn=None):
        super(XpipeHealth, self).__init__(params, warn)
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
            # One request per attempt: no keep-alive (see HttpConnection), as ansible.builtin.uri.
            self.http = HttpConnection(self.parts.scheme, self.parts.hostname, self.port(), context,
                                       keep_alive=False)
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
                self.warn("XPipe's certificate expires in %d days" % days)
            c.detail = 'certificate valid for %d more days' % days
