# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""S3 side of s3_probe: what the store's errors mean and what to do about them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure

# Error codes an S3-compatible store answers with, mapped to (cause, fix) templates.
# {bucket}, {endpoint}, {op} are filled in by client_failure().
KNOWN_CODES = {
    'InvalidAccessKeyId': (
        'the access key is not known to the store at {endpoint}',
        'check STORAGE_ACCESS_KEY matches the provisioned value (outputs file / vault)'),
    'SignatureDoesNotMatch': (
        'the secret key does not match the access key (signature rejected by {endpoint})',
        'check STORAGE_SECRET_KEY matches the provisioned value (outputs file / vault)'),
    'NoSuchBucket': (
        'bucket {bucket} does not exist at {endpoint}',
        'create it (storage role) or check STORAGE_BUCKET'),
    'AccessDenied': (
        '{op} on bucket {bucket} is denied for this access key',
        'grant the key s3:{op} on {bucket} (or use mode: read_only where the host only reads)'),
    'RequestTimeTooSkewed': (
        "this host's clock differs too much from the store's",
        'synchronise the clock (chrony / systemd-timesyncd)'),
    'PermanentRedirect': (
        'bucket {bucket} lives in another region or needs another addressing style',
        'set region to the bucket region, or addressing_style: path for S3-compatible stores'),
}


def client_failure(code, message, bucket, endpoint, op):
    """Map an S3 error code to a ProbeFailure; 5xx-like codes are retryable."""
    fields = dict(bucket=bucket, endpoint=endpoint or 'AWS', op=op)
    detail = '%s: %s' % (code, message) if message else str(code)
    if code in KNOWN_CODES:
        cause, fix = KNOWN_CODES[code]
        return ProbeFailure(cause.format(**fields), fix.format(**fields), detail=detail)
    if str(code) in ('404', 'NotFound'):
        return client_failure('NoSuchBucket', message, bucket, endpoint, op)
    if str(code).startswith('5') or code in ('InternalError', 'ServiceUnavailable', 'SlowDown'):
        return ProbeFailure('the store at %s answered %s on %s' % (fields['endpoint'], code, op),
                            'the storage service is failing: check its health and logs', retryable=True,
                            detail=detail)
    return ProbeFailure('%s on bucket %s failed: %s' % (op, bucket, detail),
                        'see the storage service logs', detail=detail)
