# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""S3 side of s3_probe: a minimal S3 client (SigV4 over one HTTP connection), valid names, and what the store's
errors mean and what to do about them.

The client signs with hashlib/hmac (AWS Signature Version 4, as botocore does for s3v4) and talks over
:class:`_http.HttpConnection`, so the probe needs no boto3 on the host and builds no client per run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import hmac
import re
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from ansible_collections.gpt371.infra.plugins.module_utils._http import HttpConnection
from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure
from ansible_collections.gpt371.infra.plugins.module_utils._tls import tls_context

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


def network_failure(reason, retryable=None, **fields):
    """ProbeFailure of a failure below S3 (``reason`` from _probe.network_reason; not 'tls', which the caller
    diagnoses): dns, refused, timeout, unreachable, or 'other'. ``fields`` as failure() takes them (host for dns)."""
    if reason == 'dns':
        return failure('dns', retryable=retryable, **fields)
    if reason in ('refused', 'timeout', 'unreachable'):
        return failure(reason, **fields)
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


def endpoint_tls_context(endpoint_url, validate_certs, ca_cert):
    """The SSLContext for an https endpoint (no endpoint: AWS S3, https), or None for http."""
    if urlsplit(endpoint_url or 'https://s3.amazonaws.com').scheme != 'https':
        return None
    return tls_context(validate_certs, ca_cert)


# -- the client --------------------------------------------------------------------------------------------

class S3Error(Exception):
    """An error answer of the store: HTTP ``status``, S3 ``code`` (the status when the body has none)."""

    def __init__(self, status, code, message=''):
        super(S3Error, self).__init__('%s: %s' % (code, message) if message else str(code))
        self.status, self.code, self.message = status, code, message


def _uri_encode(text, slash=True):
    return quote(text, safe='/~' if slash else '~')


def _hmac(key, text):
    return hmac.new(key, text.encode('utf-8'), hashlib.sha256).digest()


def sigv4_headers(method, host, path, query, payload_hash, access_key, secret_key, region, token=None, now=None,
                  service='s3'):
    """Headers of a request signed with AWS Signature Version 4 (``path`` already URI-encoded, ``query`` pairs)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime('%Y%m%dT%H%M%SZ')
    headers = {'host': host, 'x-amz-date': amz_date, 'x-amz-content-sha256': payload_hash}
    if token:
        headers['x-amz-security-token'] = token
    signed = sorted(headers)
    canonical = '\n'.join([
        method, path,
        '&'.join('%s=%s' % (_uri_encode(k, False), _uri_encode(v, False)) for k, v in sorted(query)),
        ''.join('%s:%s\n' % (k, ' '.join(str(headers[k]).split())) for k in signed),
        ';'.join(signed), payload_hash])
    scope = '%s/%s/%s/aws4_request' % (amz_date[:8], region, service)
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode('utf-8')).hexdigest()])
    key = ('AWS4' + secret_key).encode('utf-8')
    for part in (amz_date[:8], region, service, 'aws4_request'):
        key = _hmac(key, part)
    headers['authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
        access_key, scope, ';'.join(signed), hmac.new(key, to_sign.encode('utf-8'), hashlib.sha256).hexdigest())
    return headers


def _error_of(status, data):
    code, text = str(status), ''
    if data:
        try:
            root = ElementTree.fromstring(data)
            code = root.findtext('Code') or code
            text = root.findtext('Message') or ''
        except ElementTree.ParseError:
            text = data[:200].decode('utf-8', 'replace')
    return S3Error(status, code, text)


def _local(tag):
    """An XML tag without its namespace ('{http://s3.amazonaws.com/doc/2006-03-01/}Name' -> 'Name')."""
    return tag.rsplit('}', 1)[-1]


def _children(element):
    """{local tag: element} of the direct children (namespaces dropped)."""
    return dict((_local(child.tag), child) for child in element)


def _rule(element):
    """One <Rule> of a lifecycle configuration, as boto3's get_bucket_lifecycle_configuration gives it (the fields
    the storage role compares)."""
    parts = _children(element)
    rule = dict((name, (parts[name].text or '').strip()) for name in ('ID', 'Status', 'Prefix') if name in parts)
    if 'Filter' in parts:
        found = _children(parts['Filter'])
        if 'And' in found:
            found = _children(found['And'])
        rule['Filter'] = {'Prefix': (found['Prefix'].text or '') if 'Prefix' in found else ''}
    if 'Expiration' in parts:
        days = _children(parts['Expiration']).get('Days')
        rule['Expiration'] = {'Days': int(days.text)} if days is not None and (days.text or '').strip().isdigit() \
            else {}
    return rule


class S3Client:
    """The S3 calls of the probes and storage_state, signed with SigV4, over one reused HTTP(S) connection."""

    def __init__(self, endpoint_url, region, access_key, secret_key, token=None, style='auto', ssl_context=None,
                 timeout=10.0):
        self.region, self.access_key, self.secret_key, self.token = region, access_key, secret_key, token
        url = endpoint_url or 'https://%s' % ('s3.amazonaws.com' if region == 'us-east-1' else
                                              's3.%s.amazonaws.com' % region)
        parts = urlsplit(url)
        self.scheme, self.hostname = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == 'https' else 80)
        self.base = parts.path.rstrip('/')
        self.path_style = style == 'path' or (style == 'auto' and bool(endpoint_url))
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.connections = {}

    @property
    def tls_version(self):
        versions = [c.tls_version for c in self.connections.values() if c.tls_version]
        return versions[0] if versions else None

    def _host(self, bucket):
        host = self.hostname if self.path_style or not bucket else '%s.%s' % (bucket, self.hostname)
        if self.port not in (80, 443):
            host = '%s:%s' % (host, self.port)
        return host

    def call(self, method, bucket, key='', query=(), body=b'', timeout=None, headers=None):
        """(status, headers, body) of a 2xx answer; S3Error for any other. ``headers``: more request headers, not
        signed (conditions such as If-None-Match, a Content-Type)."""
        # No bucket: the service itself (ListBuckets), '/' in either addressing style.
        path = self.base + ('/%s' % bucket if self.path_style and bucket else '') + '/' + key
        path = _uri_encode(path)
        host = self._host(bucket)
        extra = dict((k.lower(), v) for k, v in (headers or {}).items())
        headers = sigv4_headers(method, host, path, query, hashlib.sha256(body).hexdigest(), self.access_key,
                                self.secret_key, self.region, self.token)
        if body:
            headers['content-type'] = 'application/octet-stream'
        headers.update(extra)
        target = path + ('?' + '&'.join('%s=%s' % (_uri_encode(k, False), _uri_encode(v, False))
                                        for k, v in query) if query else '')
        conn = self.connections.get(host)
        if conn is None:
            conn = self.connections[host] = HttpConnection(self.scheme, host.split(':')[0], self.port,
                                                           self.ssl_context)
        status, answer, data = conn.request(method, target, headers=headers, body=body or None,
                                            timeout=timeout or self.timeout)
        if not 200 <= status < 300:
            raise _error_of(status, data)
        return status, answer, data

    def head_bucket(self, bucket, timeout=None):
        self.call('HEAD', bucket, timeout=timeout)

    def list_objects(self, bucket, prefix='', max_keys=1, timeout=None):
        """The number of keys on the first page (KeyCount)."""
        _status, _headers, data = self.call('GET', bucket, query=[('list-type', '2'), ('max-keys', str(max_keys)),
                                                                  ('prefix', prefix)], timeout=timeout)
        root = ElementTree.fromstring(data)
        count = [el.text for el in root.iter() if el.tag.endswith('KeyCount')]
        return int(count[0]) if count else len([el for el in root.iter() if el.tag.endswith('Contents')])

    def list_buckets(self, timeout=None):
        """The names of the buckets the credentials own (ListBuckets)."""
        root = ElementTree.fromstring(self.call('GET', '', timeout=timeout)[2])
        return [el.text for el in root.iter() if _local(el.tag) == 'Name' and el.text]

    def list_keys(self, bucket, prefix='', max_keys=1, timeout=None):
        """The keys on the first page under ``prefix``, in the store's (lexicographic) order."""
        _status, _headers, data = self.call('GET', bucket, query=[('list-type', '2'), ('max-keys', str(max_keys)),
                                                                  ('prefix', prefix)], timeout=timeout)
        contents = [_children(el) for el in ElementTree.fromstring(data).iter() if _local(el.tag) == 'Contents']
        return [c['Key'].text or '' for c in contents if 'Key' in c]

    def lifecycle_rules(self, bucket, timeout=None):
        """The bucket's lifecycle rules as boto3 shapes them (ID, Status, Prefix or Filter.Prefix, Expiration.Days);
        [] when it has none (NoSuchLifecycleConfiguration). Other errors raise S3Error."""
        try:
            data = self.call('GET', bucket, query=[('lifecycle', '')], timeout=timeout)[2]
        except S3Error as exc:
            if exc.code == 'NoSuchLifecycleConfiguration':
                return []
            raise
        return [_rule(el) for el in ElementTree.fromstring(data).iter() if _local(el.tag) == 'Rule']

    def put_object(self, bucket, key, body, timeout=None):
        self.call('PUT', bucket, key, body=body, timeout=timeout)

    def get_object(self, bucket, key, timeout=None):
        return self.call('GET', bucket, key, timeout=timeout)[2]

    def delete_object(self, bucket, key, timeout=None):
        self.call('DELETE', bucket, key, timeout=timeout)

    def close(self):
        for conn in self.connections.values():
            conn.close()
