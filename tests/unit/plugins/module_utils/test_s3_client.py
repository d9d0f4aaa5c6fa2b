# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""s3_probe's own SigV4 signing (module_utils/_s3.py), against AWS's published example and botocore's signer.

The integration tests prove it against a store that checks signatures (moto with IAM auth on); these pin
the canonical form: query order and encoding, keys with characters that need escaping, session tokens.
"""
import datetime
import hashlib

import pytest
from botocore import auth as botocore_auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from xml.etree import ElementTree

from ansible_collections.gpt371.infra.plugins.module_utils._s3 import (
    _error_of, _rule, _uri_encode, sigv4_headers)

KEY_ID, SECRET = 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
EMPTY = hashlib.sha256(b'').hexdigest()
WHEN = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)


def test_aws_documented_example_list_objects():
    # "GET Bucket (List Objects)" of AWS's "Signature Calculations for the Authorization Header" page.
    headers = sigv4_headers('GET', 'examplebucket.s3.amazonaws.com', '/', [('max-keys', '2'), ('prefix', 'J')],
                            EMPTY, KEY_ID, SECRET, 'us-east-1', now=WHEN)
    assert headers['authorization'].endswith(
        'SignedHeaders=host;x-amz-content-sha256;x-amz-date,'
        ' Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7')


def botocore_signature(monkeypatch, method, url, body, token=None):
    monkeypatch.setattr(botocore_auth, 'get_current_datetime', lambda *a, **k: WHEN.replace(tzinfo=None))
    request = AWSRequest(method=method, url=url, data=body,
                         headers={'X-Amz-Content-SHA256': hashlib.sha256(body).hexdigest()})
    botocore_auth.S3SigV4Auth(Credentials(KEY_ID, SECRET, token), 's3', 'eu-west-1').add_auth(request)
    return request.headers['Authorization']


@pytest.mark.parametrize('method, bucket_path, key, query, body, token', [
    ('PUT', '/371gpt-assets', 'models/.gpt371-probe/ab cd+e=f~g.bin', [], b'x' * 256, None),
    ('GET', '/371gpt-assets', '', [('list-type', '2'), ('max-keys', '1'), ('prefix', 'a b/ü')], b'', None),
    ('HEAD', '/371gpt-assets', '', [], b'', 'session/token+value=='),
    ('DELETE', '/371gpt-assets', 'k', [], b'', None),
])
def test_same_signature_as_botocore(monkeypatch, method, bucket_path, key, query, body, token):
    path = _uri_encode(bucket_path + '/' + key)
    query_text = '&'.join('%s=%s' % (_uri_encode(k, False), _uri_encode(v, False)) for k, v in query)
    expected = botocore_signature(monkeypatch, method, 'https://127.0.0.1:9000%s%s' % (
        path, '?' + query_text if query_text else ''), body, token)
    ours = sigv4_headers(method, '127.0.0.1:9000', path, query, hashlib.sha256(body).hexdigest(), KEY_ID, SECRET,
                         'eu-west-1', token=token, now=WHEN)
    assert ours['authorization'].split('Signature=')[1] == expected.split('Signature=')[1]
    assert ('x-amz-security-token' in ours) == bool(token)


def test_error_answers_give_the_store_code():
    body = b'<?xml version="1.0"?><Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>'
    err = _error_of(404, body)
    assert (err.status, err.code, err.message) == (404, 'NoSuchBucket', 'gone')
    assert _error_of(403, b'').code == '403'  # HEAD: no body, the status stands for the code
    assert _error_of(502, b'<html>bad gateway</html>').code == '502'


NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


@pytest.mark.parametrize('xml, expected', [
    # AWS's current form (namespaced, Filter), as moto and MinIO answer.
    (f'<Rule {NS}><ID>r</ID><Filter><Prefix>backups/</Prefix></Filter><Status>Enabled</Status>'
     '<Expiration><Days>30</Days></Expiration></Rule>',
     {'ID': 'r', 'Status': 'Enabled', 'Filter': {'Prefix': 'backups/'}, 'Expiration': {'Days': 30}}),
    # The older form (Prefix on the rule), an And filter, an expiration by date (no Days).
    ('<Rule><ID>old</ID><Prefix>x/</Prefix><Status>Disabled</Status><Expiration><Date>2030-01-01</Date>'
     '</Expiration></Rule>',
     {'ID': 'old', 'Prefix': 'x/', 'Status': 'Disabled', 'Expiration': {}}),
    ('<Rule><ID>a</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>'
     '<Status>Enabled</Status></Rule>',
     {'ID': 'a', 'Status': 'Enabled', 'Filter': {'Prefix': 'p/'}}),
])
def test_lifecycle_rules_read_as_boto3_shapes_them(xml, expected):
    assert _rule(ElementTree.fromstring(xml)) == expected
