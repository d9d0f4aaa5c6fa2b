# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""S3 side of s3_probe: valid names, what the store's errors mean and what to do about them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure

# Error codes an S3-compatible store answers with, and our own causes, mapped to (reason, cause, fix).
# {bucket}, {endpoint}, {op}, {code}, {detail}, {waited}, {host}, {got}, {digest} are filled in by failure().
MESSAGES = {
    'InvalidAccessKeyId': (
        'auth', 'the access key is not known to the store at {endpoint}',
        'check STORAGE_ACCESS_KEY matches the provisioned value (outputs file / vault)'),
    'SignatureDoesNotMatch': (
        'auth', 'the secret key does not match the access key (signature rejected by {endpoint})',
        'check STORAGE_SECRET_KEY matches the provisioned value (outputs file / vault)'),
    'NoSuchBucket': (
        'not_found', 'bucket {bucket} does not exist at {endpoint}',
        'create it (storage role) or check STORAGE_BUCKET'),
    'AccessDenied': (
        'denied', '{op} on bucket {bucket} is denied for this access key',
        'grant the key s3:{op} on {bucket} (or use mode: read_only where the host only reads)'),
    'RequestTimeTooSkewed': (
        'clock', "this host's clock differs too much from the store's",
        'synchronise the clock (chrony / systemd-timesyncd)'),
    'PermanentRedirect': (
        'config', 'bucket {bucket} lives in another region or needs another addressing style',
        'set region to the bucket region, or addressing_style: path for S3-compatible stores'),
    'server_error': (
        'unhealthy', 'the store at {endpoint} answered {code} on {op}',
        'the storage service is failing: check its health and logs'),
    'other': (
        'error', '{op} on bucket {bucket} failed: {detail}', 'see the storage service logs'),
    'refused': (
        'refused', 'connection refused at {endpoint}',
        'check STORAGE_ENDPOINT (terraform output storage_endpoint / outputs file) and that the storage service'
        ' is running'),
    'timeout': (
        'timeout', 'no answer from {endpoint} within {waited:.1f} s',
        'check the storage service is up and a security group allows its port from this host'),
    'dns': (
        'dns', 'the name {host} of STORAGE_ENDPOINT does not resolve',
        'check STORAGE_ENDPOINT (outputs file) and DNS resolution on this host'),
    'unreachable': (
        'unreachable', 'cannot reach {endpoint} (no route to it, or the connection was dropped)',
        'check STORAGE_ENDPOINT and that this host has a route to the storage network'),
    'corrupt': (
        'unhealthy', 'the object read back differs from the one written (sha256 {got} != {digest})',
        'the store corrupts or rewrites objects: check its logs'),
    'no_credentials': (
        'config', 'no credentials', 'set access_key and secret_key (STORAGE_ACCESS_KEY/SECRET_KEY)'),
}
STORE_CODES = ('InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket', 'AccessDenied', 'RequestTimeTooSkewed',
               'PermanentRedirect')
SERVER_ERRORS = ('InternalError', 'ServiceUnavailable', 'SlowDown')

BUCKET_NAME = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
BUCKET_FORM = ('a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens that starts and ends with a'
               ' letter or digit, with no two dots in a row and not shaped like an IP address')


def failure(key, retryable=None, **fields):
    """ProbeFailure from MESSAGES[key]; fields a template does not use are harmless, ``detail`` is kept too."""
    reason, cause, fix = MESSAGES[key]
    return ProbeFailure(reason, cause.format(**fields), fix.format(**fields), retryable=retryable,
                        detail=fields.get('detail'))


def client_failure(code, message, bucket, endpoint, op):
    """Map an S3 error code to a ProbeFailure; 5xx-like codes are retryable (reason unhealthy)."""
    fields = dict(bucket=bucket, endpoint=endpoint or 'AWS', op=op, code=code)
    detail = '%s: %s' % (code, message) if message else str(code)
    fields['detail'] = detail
    if code in STORE_CODES:
        return failure(code, **fields)
    if str(code) in ('404', 'NotFound'):
        return client_failure('NoSuchBucket', message, bucket, endpoint, op)
    if str(code).startswith('5') or code in SERVER_ERRORS:
        return failure('server_error', **fields)
    return failure('other', **fields)


def bucket_name_problem(name):
    """Why ``name`` is not a valid S3 bucket name, or None."""
    if not name or not BUCKET_NAME.match(name) or '..' in name or '.-' in name or '-.' in name:
        return BUCKET_FORM
    if re.match(r'^\d+\.\d+\.\d+\.\d+$', name):
        return BUCKET_FORM
    return None


def endpoint_problem(url):
    """Why ``url`` is not a usable endpoint URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return 'an http(s) URL with a port from 1 to 65535'
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        return 'an http(s) URL with a host name'
    if port is not None and not 1 <= port <= 65535:
        return 'an http(s) URL with a port from 1 to 65535'
    return None
