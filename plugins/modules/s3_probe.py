#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: s3_probe
short_description: Prove an application host can use the 371GPT object storage (S3-compatible)
version_added: 0.1.0
description:
  - Talks to the S3-compatible store the way the 371GPT services do and checks, in order, C(bucket) (the bucket
    answers a HEAD), then C(write) (a uniquely named probe object is stored), C(read) (read back, SHA-256
    compared) and C(delete) (removed again); with O(mode=read_only), C(list) (objects can be listed) instead.
  - The probe object is always removed, also when a check after the write fails. It leaves nothing behind, so
    the round trip runs in check mode too.
  - Works with stores that reject the newer boto3 checksum headers, since it sends none; the payload's SHA-256 is
    signed (C(x-amz-content-sha256)) and the object read back is compared with it.
  - All calls of a run share one HTTP(S) connection (one TLS handshake when the store keeps it open).
  - Connection options fall back to the guide's C(STORAGE_*) environment variables, then to C(AWS_*).
author:
  - gpt371.infra maintainers (@gpt371)
extends_documentation_fragment:
  - gpt371.infra.probe
requirements:
  - Python's standard library only; requests are signed with AWS Signature Version 4 by the module itself, so
    neither boto3 nor botocore is needed on the host.
options:
  endpoint_url:
    description:
      - URL of the S3-compatible endpoint. Falls back to E(STORAGE_ENDPOINT), then E(AWS_ENDPOINT_URL).
      - Leave unset for AWS S3.
    type: str
  region:
    description: Region name. Falls back to E(AWS_REGION), then E(AWS_DEFAULT_REGION).
    type: str
    default: us-east-1
  access_key:
    description: Access key id. Falls back to E(STORAGE_ACCESS_KEY), then E(AWS_ACCESS_KEY_ID).
    type: str
    required: true
    aliases: [aws_access_key_id]
  secret_key:
    description: Secret key. Falls back to E(STORAGE_SECRET_KEY), then E(AWS_SECRET_ACCESS_KEY). Never logged.
    type: str
    required: true
    aliases: [aws_secret_access_key]
  session_token:
    description: Session token for temporary credentials. Falls back to E(AWS_SESSION_TOKEN). Never logged.
    type: str
  bucket:
    description:
      - Bucket to probe. Falls back to E(STORAGE_BUCKET).
      - A name S3 does not allow (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a
        letter or digit) fails before any network call with reason V(config).
    type: str
    default: 371gpt-assets
  prefix:
    description: Key prefix of the probe object (for stores that only allow writes under a prefix).
    type: str
    default: ''
  mode:
    description: V(read_write) runs the write/read/delete round trip; V(read_only) only lists.
    type: str
    default: read_write
    choices: [read_write, read_only]
  addressing_style:
    description:
      - V(path) puts the bucket in the URL path, which S3-compatible stores (MinIO, Ceph RGW, moto) expect.
      - V(auto) uses V(path) when O(endpoint_url) is set and V(virtual) (the bucket in the host name) for AWS S3.
    type: str
    default: auto
    choices: [auto, path, virtual]
  validate_certs:
    description: Verify the endpoint's TLS certificate.
    type: bool
    default: true
  ca_cert:
    description:
      - CA certificate bundle (PEM) to verify the endpoint's certificate with, instead of the default bundle.
      - The same option name as in M(gpt371.infra.pg_probe) and M(gpt371.infra.xpipe_health); the old name
        C(ca_bundle) stays an alias.
      - Checked before any network call, a missing or unreadable file, or one without a certificate, fails with
        reason V(config).
    type: path
    aliases: [ca_bundle]
  request_timeout:
    description:
      - Seconds to wait to connect and for each answer; one try per call, no retries underneath the module's own.
      - Never more than what is left of O(timeout), which bounds the whole task.
    type: float
    default: 10.0
notes:
  - Its failures carry the reasons V(auth), V(clock), V(config), V(denied), V(dns), V(error), V(not_found),
    V(refused), V(timeout), V(tls_expired), V(tls_handshake), V(tls_hostname), V(tls_not_tls), V(tls_not_yet_valid),
    V(tls_protocol), V(tls_self_signed), V(tls_untrusted), V(unhealthy) or V(unreachable).
seealso:
  - module: amazon.aws.s3_object_info
  - module: gpt371.infra.pg_probe
  - module: gpt371.infra.xpipe_health
'''

EXAMPLES = r'''
- name: Check object storage with the values of the app host's .env
  gpt371.infra.s3_probe:
    endpoint_url: "{{ storage_endpoint }}"
    access_key: "{{ storage_access_key }}"
    secret_key: "{{ storage_secret_key }}"
    bucket: 371gpt-assets

- name: A host that only reads models
  gpt371.infra.s3_probe:
    endpoint_url: https://s3.internal.example
    ca_cert: /etc/371gpt/ca.pem
    access_key: "{{ reader_key }}"
    secret_key: "{{ reader_secret }}"
    prefix: models/
    mode: read_only
'''

RETURN = r'''
extends_documentation_fragment:
  - gpt371.infra.probe
bucket:
  description: The bucket probed.
  returned: always
  type: str
  sample: 371gpt-assets
endpoint_url:
  description: The endpoint used (empty for AWS).
  returned: always
  type: str
  sample: http://10.0.0.20:9000
probe_key:
  description: Key of the probe object written and removed again.
  returned: when the write check ran
  type: str
  sample: .gpt371-probe/4f1c0e2b6f.bin
sha256:
  description: SHA-256 of the probe object, equal for the bytes written and read back.
  returned: when the read check passed
  type: str
'''

import hashlib
import os
import uuid

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    ProbeModule, check_file, invalid_option, network_reason, run_probe)
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import (
    S3Client, S3Error, bucket_name_problem, client_failure, endpoint_problem, failure)
from ansible_collections.gpt371.infra.plugins.module_utils._http import HTTP_ERRORS
from ansible_collections.gpt371.infra.plugins.module_utils._tls import tls_context, tls_diagnosis, tls_failure

OPERATIONS = {'bucket': 'ListBucket', 'list': 'ListBucket', 'write': 'PutObject', 'read': 'GetObject',
              'delete': 'DeleteObject'}


class S3Probe(ProbeModule):
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

    def __init__(self):
        super(S3Probe, self).__init__()
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
        https = urlsplit(p['endpoint_url'] or 'https://s3').scheme == 'https'
        return S3Client(p['endpoint_url'], p['region'], p['access_key'], p['secret_key'], p['session_token'],
                        style=p['addressing_style'],
                        ssl_context=tls_context(p['validate_certs'], p['ca_cert']) if https else None)

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
        if reason == 'dns':
            return failure('dns', retryable=retryable, host=urlsplit(self.target()).hostname, **fields)
        if reason in ('refused', 'timeout', 'unreachable'):
            return failure(reason, **fields)
        return failure('other', **fields)

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
                self.ansible.warn('could not remove probe object %s: %s' % (self.pending_key, exc))
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


def main():
    run_probe(S3Probe)


if __name__ == '__main__':
    main()
