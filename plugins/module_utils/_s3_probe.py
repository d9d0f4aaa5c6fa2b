# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The checks of the s3_probe module, also run by host_probes (one module run for all of an app host's probes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import uuid
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    ProbeModule, check_file, invalid_option, network_reason)
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import (
    S3Client, S3Error, bucket_name_problem, client_failure, endpoint_problem, endpoint_tls_context, failure,
    network_failure)
from ansible_collections.gpt371.infra.plugins.module_utils._http import HTTP_ERRORS
from ansible_collections.gpt371.infra.plugins.module_utils._tls import tls_diagnosis, tls_failure

OPERATIONS = {'bucket': 'ListBucket', 'list': 'ListBucket', 'write': 'PutObject', 'read': 'GetObject',
              'delete': 'DeleteObject'}


class S3Probe(ProbeModule):
    module_name = 's3_probe'
    argument_spec = dict(
        endpoint_url=dict(type='str', fallback=(env_fallback, ['STORAGE_ENDPOINT', 'AWS_ENDPOINT_URL'])),
        region=dict(type='str', default='us-east-1', fallback=(env_fallback, ['AWS_REGION', 'AWS_DEFAULT_REGION'])),
        access_key=dict(type='str', required=True, no_log=True, aliases=['aws_access_key_id'],
                        fallback=(env_fallback, ['STORAGE_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'])),
        secret_key=dict(type='str', required=True, no_log=True, aliases=['aws_secret_access_key'],
                        fallback=(env_fallback, ['STORAGE_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY'])),
        session_token=dict(type='str', no_log=True, fallback=(env_fallback, ['AWS_SESSION_TOKEN'])),
        bucket=dict(type='str', default='371gpt-assets', fallback=(env_fallback, ['STORAGE_BUCKET'])),
        prefix=dict(type='str', default=''),
        mode=dict(type='str', default='read_write', choices=['read_write', 'read_only']),
        addressing_style=dict(type='str', default='auto', choices=['auto', 'path', 'virtual']),
        validate_certs=dict(type='bool', default=True),
        ca_cert=dict(type='path', aliases=['ca_bundle']),
        request_timeout=dict(type='float', default=10.0),
    )
    first_check = 'bucket'

    def __init__(self, params=None, warn=None):
        super(S3Probe, self).__init__(params, warn)
        self.client = None
        self.pending_key = None
        p = self.params
        self.results.update(bucket=p['bucket'], endpoint_url=p['endpoint_url'] or '')

    def secrets(self):
        return [self.params['secret_key'], self.params['session_token']]

    def target(self):
        return self.params['endpoint_url'] or 'AWS S3'

    def timeout_failure(self, check, waited):
        return failure('timeout', endpoint=self.target(), waited=waited)

    def validate(self):
        p = self.params
        if p['endpoint_url']:
            problem = endpoint_problem(p['endpoint_url'])
            if problem:
                raise invalid_option('endpoint_url', p['endpoint_url'], problem, 'http://10.10.0.20:9000')
        problem = bucket_name_problem(p['bucket'])
        if problem:
            raise invalid_option('bucket', p['bucket'], problem, '371gpt-assets')
        if not p['region'] or any(c.isspace() or c == '/' for c in p['region']):
            raise invalid_option('region', p['region'], 'a region name without spaces or slashes', 'us-east-1')
        if p['request_timeout'] <= 0:
            raise invalid_option('request_timeout', p['request_timeout'], 'a number of seconds > 0', '10')
        check_file('ca_cert', p['ca_cert'], pem=True)

    def make_client(self):
        p = self.params
        return S3Client(p['endpoint_url'], p['region'], p['access_key'], p['secret_key'], p['session_token'],
                        style=p['addressing_style'],
                        ssl_context=endpoint_tls_context(p['endpoint_url'], p['validate_certs'], p['ca_cert']))

    def timeout(self):
        """Seconds one call may wait: request_timeout, never more than what is left of the deadline."""
        return self.deadline.bound(self.params['request_timeout'])

    def explain(self, check, exc):
        p = self.params
        fields = dict(bucket=p['bucket'], endpoint=self.target(), op=OPERATIONS.get(check, check),
                      waited=self.waited(), detail='%s: %s' % (type(exc).__name__, exc))
        if isinstance(exc, S3Error):
            code, message = exc.code, exc.message
            if check == 'bucket' and exc.status == 403:
                code, message = self.diagnose_forbidden()
            elif exc.status == 301 and code == '301':
                code = 'PermanentRedirect'
            return client_failure(code, message, p['bucket'], p['endpoint_url'], fields['op'])
        if not isinstance(exc, HTTP_ERRORS):
            return None
        reason, retryable = network_reason(exc)
        if reason == 'tls':
            return self.tls_failure(exc)
        return network_failure(reason, retryable, host=urlsplit(self.target()).hostname, **fields)

    def tls_failure(self, exc):
        """Why the TLS connection to the endpoint failed, from handshakes of our own."""
        p = self.params
        parts = urlsplit(p['endpoint_url'] or 'https://s3.%s.amazonaws.com' % p['region'])
        diagnosis = tls_diagnosis(parts.hostname, parts.port or 443, self.timeout(), verify=p['validate_certs'],
                                  cafile=p['ca_cert'])
        return tls_failure(diagnosis, '%s:%s' % (parts.hostname, parts.port or 443), p['ca_cert'],
                           'an http:// endpoint_url', fallback_detail=str(exc),
                           server_setting="the store's TLS settings, or those of the proxy in front of it")

    def diagnose_forbidden(self):
        """HEAD answers a bare 403; a ListObjects call returns the code that says why."""
        try:
            self.client.list_objects(self.params['bucket'], timeout=self.timeout())
        except S3Error as exc:
            return exc.code, exc.message
        return 'AccessDenied', 'HEAD denied while ListObjects is allowed'

    def cleanup(self):
        # The probe object must never outlive the run, whatever failed after the write.
        if self.pending_key and self.client is not None:
            try:
                self.client.delete_object(self.params['bucket'], self.pending_key, timeout=self.timeout())
                self.pending_key = None
            except Exception as exc:  # report, but do not hide the original failure
                self.warn('could not remove probe object %s: %s' % (self.pending_key, exc))
        if self.client is not None and not self.pending_key:
            self.client.close()

    def run(self):
        p = self.params
        bucket = p['bucket']
        self.cleanup()
        self.client = self.client or self.make_client()
        with self.check('bucket') as c:
            self.client.head_bucket(bucket, timeout=self.timeout())
            if self.client.tls_version:
                self.results['tls_version'] = self.client.tls_version
            c.detail = '%s answers at %s' % (bucket, self.target())
        if p['mode'] == 'read_only':
            # Without the write round trip, a listing is what proves read access.
            with self.check('list') as c:
                count = self.client.list_objects(bucket, p['prefix'], timeout=self.timeout())
                c.detail = 'listing allowed (%s key%s under %r on the first page)' % (
                    count, '' if count == 1 else 's', p['prefix'])
            return
        payload = os.urandom(256)
        digest = hashlib.sha256(payload).hexdigest()
        key = '%s.gpt371-probe/%s.bin' % (p['prefix'], uuid.uuid4().hex)
        self.results['probe_key'] = key
        with self.check('write') as c:
            self.pending_key = key
            self.client.put_object(bucket, key, payload, timeout=self.timeout())
            c.detail = 'wrote %d bytes to %s' % (len(payload), key)
        with self.check('read') as c:
            body = self.client.get_object(bucket, key, timeout=self.timeout())
            got = hashlib.sha256(body).hexdigest()
            if got != digest:
                raise failure('corrupt', retryable=False, got=got, digest=digest)
            self.results['sha256'] = got
            c.detail = 'read back %d bytes, sha256 matches' % len(body)
        with self.check('delete') as c:
            self.client.delete_object(bucket, key, timeout=self.timeout())
            self.pending_key = None
            c.detail = 'removed %s' % key
