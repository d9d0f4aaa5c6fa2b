"""Pure logic of the probes: error -> reason/cause/fix, JSON subset matching, versions, names, certificates."""
import datetime
import socket

import pytest
import requests
import yaml
from botocore import exceptions as boto_exc

from ansible_collections.gpt371.infra.plugins.doc_fragments.probe import ModuleDocFragment
from ansible_collections.gpt371.infra.plugins.module_utils import _http, _pg, _s3
from ansible_collections.gpt371.infra.plugins.module_utils._http import json_mismatches, status_failure
from ansible_collections.gpt371.infra.plugins.module_utils._tls import (
    TLS_MESSAGES, days_until_expiry, expiry_text, tls_failure, validity_text)
from ansible_collections.gpt371.infra.plugins.module_utils._pg import connect_cause, connect_failure, version_tuple
from ansible_collections.gpt371.infra.plugins.module_utils._probe import REASONS, network_reason
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import (
    bucket_name_problem, client_failure, endpoint_problem)

PARAMS = dict(host='10.0.0.12', port=5432, dbname='371gpt', user='app', ssl_mode='require')
UTC = datetime.timezone.utc


@pytest.mark.parametrize('message, reason, cause, fix, retryable', [
    ('FATAL:  password authentication failed for user "app"', 'auth', 'password authentication failed',
     'DB_PASSWORD', False),
    ('FATAL:  database "x" does not exist', 'not_found', 'database 371gpt does not exist', 'DB_NAME', False),
    ('FATAL:  role "app" does not exist', 'auth', 'role app does not exist', 'DB_USER', False),
    ('FATAL:  no pg_hba.conf entry for host "10.9.9.9"', 'denied', 'pg_hba.conf', 'database_allowed_cidrs', False),
    ('server does not support SSL, but SSL was required', 'tls_not_tls', 'does not offer TLS', 'enable ssl', False),
    ('received invalid response to SSL negotiation: H', 'tls_not_tls', 'answered the TLS request', 'DB_PORT', False),
    ('connection to server at "10.0.0.12", port 5432 failed: Connection refused', 'refused', 'connection refused',
     'security group', True),
    ('timeout expired', 'timeout', 'no answer from 10.0.0.12:5432 within 4.2 s', 'security group', True),
    ('could not translate host name "db" to address: Name or service not known', 'dns', 'does not resolve',
     'DB_HOST', False),
    ('could not translate host name "db" to address: Temporary failure in name resolution', 'dns',
     'does not resolve', 'DB_HOST', True),
    ('connection to server failed: No route to host', 'unreachable', 'no route', 'same private network', True),
    ('FATAL:  the database system is starting up', 'unhealthy', 'starting up', 'wait', True),
    ('something new and strange', 'error', 'failed: something new and strange', 'server log', False),
])
def test_connect_failure_names_reason_cause_and_fix(message, reason, cause, fix, retryable):
    failure = connect_failure(message, PARAMS, 4.2)
    assert failure.reason == reason
    assert cause in failure.cause
    assert fix in failure.fix
    assert failure.retryable is retryable


@pytest.mark.parametrize('message', [
    'connection to server at "127.0.0.1", port 5432 failed: SSL error: certificate verify failed',
    'server certificate for "other.example" does not match host name "127.0.0.1"',
    'SSL SYSCALL error: EOF detected',
])
def test_libpq_tls_failures_go_to_the_tls_diagnosis(message):
    assert connect_cause(message) == 'tls'


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


@pytest.mark.parametrize('code, reason, cause, fix, retryable', [
    ('SignatureDoesNotMatch', 'auth', 'secret key does not match', 'STORAGE_SECRET_KEY', False),
    ('InvalidAccessKeyId', 'auth', 'access key is not known', 'STORAGE_ACCESS_KEY', False),
    ('NoSuchBucket', 'not_found', 'bucket assets does not exist', 'storage role', False),
    ('404', 'not_found', 'bucket assets does not exist', 'STORAGE_BUCKET', False),
    ('AccessDenied', 'denied', 'PutObject on bucket assets is denied', 's3:PutObject', False),
    ('RequestTimeTooSkewed', 'clock', 'clock', 'chrony', False),
    ('PermanentRedirect', 'config', 'another region', 'region', False),
    ('503', 'unhealthy', 'answered 503 on PutObject', 'health', True),
    ('SlowDown', 'unhealthy', 'answered SlowDown', 'health', True),
    ('Weird', 'error', 'PutObject on bucket assets failed: Weird: message', 'logs', False),
])
def test_client_failure(code, reason, cause, fix, retryable):
    failure = client_failure(code, 'message', 'assets', 'http://s3:9000', 'PutObject')
    assert failure.reason == reason
    assert cause in failure.cause
    assert fix in failure.fix
    assert failure.retryable is retryable


@pytest.mark.parametrize('status, reason, retryable', [
    (401, 'auth', False), (403, 'denied', False), (404, 'not_found', False), (500, 'unhealthy', True),
    (503, 'unhealthy', True), (302, 'protocol', False), (418, 'protocol', False),
])
def test_status_failure(status, reason, retryable):
    failure = status_failure(status, [200], '/health', 'X-API-Key')
    assert (failure.reason, failure.retryable) == (reason, retryable)
    assert str(status) in failure.cause


# -- local input errors ------------------------------------------------------------------------

@pytest.mark.parametrize('name, valid', [
    ('371gpt-assets', True), ('a.b-c', True), ('abc', True), ('ab', False), ('a' * 64, False), ('Assets', False),
    ('my_bucket', False), ('-abc', False), ('abc-', False), ('a..b', False), ('a.-b', False), ('10.0.0.1', False),
    ('', False),
])
def test_bucket_names(name, valid):
    assert (bucket_name_problem(name) is None) is valid


@pytest.mark.parametrize('url, valid', [
    ('http://10.0.0.20:9000', True), ('https://s3.example', True), ('ftp://s3.example', False),
    ('http://:9000', False), ('http://h:70000', False), ('http://h:0', False), ('http://h:port', False),
    ('10.0.0.20:9000', False),
])
def test_endpoint_urls(url, valid):
    assert (endpoint_problem(url) is None) is valid


# -- network failures by type and errno, not by words -----------------------------------------------

def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_refused_connection_through_requests_is_refused():
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        requests.get('http://127.0.0.1:%d/' % _closed_port(), timeout=2)
    assert network_reason(info.value) == ('refused', True)


def test_botocore_wrapped_errors():
    refused = ConnectionRefusedError(111, 'Connection refused')
    assert network_reason(boto_exc.EndpointConnectionError(endpoint_url='http://x', error=refused))[0] == 'refused'
    gai = socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    assert network_reason(boto_exc.EndpointConnectionError(endpoint_url='http://x', error=gai)) == ('dns', False)
    again = socket.gaierror(socket.EAI_AGAIN, 'Temporary failure in name resolution')
    assert network_reason(boto_exc.EndpointConnectionError(endpoint_url='http://x', error=again)) == ('dns', True)
    timeout = boto_exc.ReadTimeoutError(endpoint_url='http://x', error=TimeoutError('timed out'))
    assert network_reason(timeout)[0] == 'timeout'


def test_chained_causes_are_found():
    try:
        try:
            raise OSError(113, 'No route to host')
        except OSError as exc:
            raise RuntimeError('wrapper') from exc
    except RuntimeError as exc:
        assert network_reason(exc) == ('unreachable', True)
    assert network_reason(ValueError('nothing network')) == (None, False)


# -- certificates --------------------------------------------------------------------------------

def _der(not_before, not_after):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, 'xpipe')])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(not_before).not_valid_after(not_after).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_days_until_expiry_from_decoded_and_der_certificates():
    now = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    der = _der(now, now + datetime.timedelta(days=30, hours=1))
    assert days_until_expiry({}, der, now=now) == 30  # unverified connection: DER only
    assert days_until_expiry({'notAfter': 'Jan 31 01:00:00 2026 GMT'}, None, now=now) == 30
    assert days_until_expiry({'notAfter': 'Dec 31 00:00:00 2025 GMT'}, None, now=now) == -1
    assert days_until_expiry({}, None, now=now) is None


@pytest.mark.parametrize('ago, days, text', [
    (datetime.timedelta(days=3, hours=1), -3, '3 days ago'),       # not -4 / "4 days ago"
    (datetime.timedelta(days=3, hours=23), -3, '3 days ago'),
    (datetime.timedelta(days=1), -1, '1 day ago'),
    (datetime.timedelta(hours=23), 0, 'less than a day ago'),
    (datetime.timedelta(minutes=1), 0, 'less than a day ago'),
])
def test_expired_day_count_is_not_off_by_one(ago, days, text):
    now = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    expired = now - ago
    der = _der(now - datetime.timedelta(days=90), expired)
    assert days_until_expiry({}, der, now=now) == days
    assert expiry_text(expired, now=now) == 'expired on %s, %s' % (expired.strftime('%Y-%m-%d %H:%M UTC'), text)


def test_not_yet_valid_text():
    now = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    start = now + datetime.timedelta(days=2, hours=1)
    assert validity_text(start, now=now) == 'is not valid before 2026-03-12 13:00 UTC (in 2 days)'


def test_each_tls_cause_has_its_own_fix():
    fixes = [fix for _cause, fix in TLS_MESSAGES.values()]
    assert len(set(fixes)) == len(fixes) == 8
    assert set(TLS_MESSAGES) == {r for r in REASONS if r.startswith('tls_')}


def test_expired_certificate_is_called_expired_with_ca_cert_set():
    after = datetime.datetime.now(UTC) - datetime.timedelta(days=5, hours=2)
    failure = tls_failure({'reason': 'tls_expired', 'host': 'db', 'not_after': after}, 'db:5432', '/etc/ca.pem',
                          'ssl_mode: disable')
    assert failure.reason == 'tls_expired'
    assert 'expired on %s' % after.strftime('%Y-%m-%d') in failure.cause and '5 days ago' in failure.cause
    assert failure.fix.startswith('renew the certificate on db')


def test_untrusted_names_the_trust_store_in_use():
    diagnosis = {'reason': 'tls_untrusted', 'host': 'h', 'issuer': 'CN=Other CA'}
    assert 'ca_cert /etc/ca.pem does not hold' in tls_failure(diagnosis, 'h:443', '/etc/ca.pem', 'x').cause
    assert 'the system CA store does not hold' in tls_failure(diagnosis, 'h:443', None, 'x').cause


def test_tls_failure_without_a_diagnosis_keeps_the_library_words():
    failure = tls_failure(None, 'h:443', None, 'x', fallback_detail='SSLError(odd)')
    assert failure.reason == 'tls_handshake' and 'SSLError(odd)' in failure.cause


# -- documentation -------------------------------------------------------------------------------

def test_doc_fragment_documents_every_reason():
    notes = ' '.join(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['notes'])
    import re
    documented = set(re.findall(r'V\((\w+)\)', notes.split('A failure returns')[1].split('Local input errors')[0]))
    assert documented == set(REASONS)


def test_every_table_reason_is_a_known_reason():
    for table in (_pg.MESSAGES, _s3.MESSAGES, _http.XPIPE_MESSAGES):
        for key, (reason, _cause, _fix) in table.items():
            assert reason in REASONS, key
