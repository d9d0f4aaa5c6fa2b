"""Pure logic of the probes: error text -> cause/fix, JSON subset matching, versions."""
import pytest

from ansible_collections.gpt371.infra.plugins.module_utils._http import json_mismatches
from ansible_collections.gpt371.infra.plugins.module_utils._pg import connect_failure, version_tuple
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import client_failure

PARAMS = dict(host='10.0.0.12', port=5432, dbname='371gpt', user='app', ssl_mode='require')


@pytest.mark.parametrize('message, cause, fix, retryable', [
    ('FATAL:  password authentication failed for user "app"', 'password authentication failed', 'DB_PASSWORD', False),
    ('FATAL:  database "x" does not exist', 'database 371gpt does not exist', 'DB_NAME', False),
    ('FATAL:  role "app" does not exist', 'role app does not exist', 'DB_USER', False),
    ('FATAL:  no pg_hba.conf entry for host "10.9.9.9"', 'pg_hba.conf', 'database_allowed_cidrs', False),
    ('server does not support SSL, but SSL was required', 'does not offer TLS', 'enable ssl', False),
    ('connection to server at "10.0.0.12", port 5432 failed: Connection refused', 'connection refused', 'security group',
     True),
    ('timeout expired', 'no answer from 10.0.0.12:5432 within 5 s', 'security group', True),
    ('could not translate host name "db" to address', 'does not resolve', 'DB_HOST', True),
    ('something new and strange', 'failed: something new and strange', 'server log', True),
])
def test_connect_failure_names_cause_and_fix(message, cause, fix, retryable):
    failure = connect_failure(message, PARAMS, 5)
    assert cause in failure.cause
    assert fix in failure.fix
    assert failure.retryable is retryable


@pytest.mark.parametrize('text, expected', [('0.8.0', (0, 8, 0)), ('0.5', (0, 5)), ('1.0beta2', (1, 0))])
def test_version_tuple(text, expected):
    assert version_tuple(text) == expected


def test_version_order_is_numeric_not_lexical():
    assert version_tuple('0.10.0') > version_tuple('0.9.1')


@pytest.mark.parametrize('expected, actual, problems', [
    ({'status': 'ok'}, {'status': 'ok', 'extra': 1}, []),
    ({'status': 'ok'}, {'status': 'degraded'}, ["status: expected 'ok', got 'degraded'"]),
    ({'db': {'ok': True}}, {'db': {'ok': False, 'ms': 3}}, ['db.ok: expected True, got False']),
    ({'status': 'ok'}, {}, ["status: missing (expected 'ok')"]),
    ({'status': 'ok'}, ['not', 'an', 'object'], ["$: expected an object, got ['not', 'an', 'object']"]),
    ({'items': [1, 2]}, {'items': [1, 2]}, []),
])
def test_json_mismatches(expected, actual, problems):
    assert json_mismatches(expected, actual) == problems


@pytest.mark.parametrize('code, cause, fix, retryable', [
    ('SignatureDoesNotMatch', 'secret key does not match', 'STORAGE_SECRET_KEY', False),
    ('InvalidAccessKeyId', 'access key is not known', 'STORAGE_ACCESS_KEY', False),
    ('NoSuchBucket', 'bucket assets does not exist', 'storage role', False),
    ('404', 'bucket assets does not exist', 'STORAGE_BUCKET', False),
    ('AccessDenied', 'PutObject on bucket assets is denied', 's3:PutObject', False),
    ('503', 'answered 503 on PutObject', 'health', True),
    ('SlowDown', 'answered SlowDown', 'health', True),
])
def test_client_failure(code, cause, fix, retryable):
    failure = client_failure(code, 'message', 'assets', 'http://s3:9000', 'PutObject')
    assert cause in failure.cause
    assert fix in failure.fix
    assert failure.retryable is retryable


def test_days_until_expiry_from_decoded_and_der_certificates():
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from ansible_collections.gpt371.infra.plugins.module_utils._http import days_until_expiry

    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, 'xpipe')])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30, hours=1))
            .sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    assert days_until_expiry({}, der, now=now) == 30  # unverified connection: DER only
    assert days_until_expiry({'notAfter': 'Jan 31 01:00:00 2026 GMT'}, None, now=now) == 30
    assert days_until_expiry({'notAfter': 'Dec 31 00:00:00 2025 GMT'}, None, now=now) == -1
    assert days_until_expiry({}, None, now=now) is None
