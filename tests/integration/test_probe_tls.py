"""TLS of the three probes, each run as its own process (tests.helpers.run_module) against real TLS servers.

- On success every probe returns the TLS version it used (`tls_version`): real PostgreSQL, the moto S3 store
  and the XPipe stand-in over TLS, all from the `services` fixture.
- A server that offers only TLS 1.0/1.1 (a real Python ssl server with a certificate the probe trusts) is named
  by cause: reason tls_protocol, the version it offers, and a fix about the server's settings; not retried.
"""
import datetime

import pytest

from tests.helpers import run_module
from tests.helpers.tls import LegacyTlsStandin, make_fault_certificates

MODULES = ['pg_probe', 's3_probe', 'xpipe_health']


@pytest.fixture(scope='module')
def legacy(tmp_path_factory):
    """(port, ca_cert) of a TLS 1.0/1.1-only server whose certificate the CA signed for 127.0.0.1."""
    _certs, facts = make_fault_certificates(tmp_path_factory.mktemp('legacy-tls'),
                                            datetime.datetime.now(datetime.timezone.utc))
    server = LegacyTlsStandin(*facts['good'])
    try:
        yield server.start(), facts['ca_cert']
    finally:
        server.stop()


def args_for(module, port, ca_cert, **more):
    """Options of ``module`` for a TLS server on 127.0.0.1:port (credentials are never reached)."""
    base = {
        'pg_probe': dict(host='127.0.0.1', port=port, user='app', password='not-the-password',
                         ssl_mode='verify-full', ca_cert=ca_cert),
        's3_probe': dict(endpoint_url='https://127.0.0.1:%d' % port, access_key='AKIDEXAMPLE',
                         secret_key='not-the-secret', bucket='gpt371-probe', ca_cert=ca_cert),
        'xpipe_health': dict(url='https://127.0.0.1:%d/health' % port, api_key='not-the-key', ca_cert=ca_cert),
    }[module]
    base.update(retries=2, delay=0.1, timeout=10, fail_on_error=False)
    base.update(more)
    return base


@pytest.mark.parametrize('module', MODULES)
def test_protocol_too_old_is_named(module, legacy):
    port, ca_cert = legacy
    result, rc, wall = run_module(module, args_for(module, port, ca_cert))
    assert rc == 0 and result['ok'] is False, result
    assert result['reason'] == 'tls_protocol', (result['reason'], result['msg'])
    assert result['failed_check'] == ('connect' if module == 'pg_probe' else
                                      'bucket' if module == 's3_probe' else 'request')
    assert 'offers TLSv1.1' in result['cause'] and '127.0.0.1:%d' % port in result['cause']
    assert 'TLS 1.2 or 1.3' in result['fix']
    assert result['attempts'] == 1, 'a protocol mismatch is not transient: %s' % result['msg']
    assert 'tls_version' not in result
    assert wall < 10


def success_args(module, services):
    pg, s3, xp = services['pg'], services['s3'], services['xpipe']
    return {
        'pg_probe': dict(host=pg['host'], port=pg['port'], dbname=pg['dbname'], user=pg['user'],
                         password=pg['password'], ssl_mode='verify-full', ca_cert=services['ca_cert']),
        's3_probe': dict(endpoint_url=s3['endpoint_https'], region=s3['region'], access_key=s3['access_key'],
                         secret_key=s3['secret_key'], bucket=s3['bucket'], ca_cert=services['ca_cert']),
        'xpipe_health': dict(url=xp['url_https'] + '/health', api_key=xp['api_key'], ca_cert=services['ca_cert']),
    }[module]


@pytest.mark.parametrize('module', MODULES)
def test_tls_version_on_success(module, services):
    result, rc, _wall = run_module(module, success_args(module, services))
    assert rc == 0 and result['ok'] is True, result.get('msg')
    assert result['tls_version'] in ('TLSv1.2', 'TLSv1.3'), result


def test_plain_connection_has_no_tls_version(services):
    s3 = services['s3']
    result, rc, _wall = run_module('s3_probe', dict(endpoint_url=s3['endpoint'], region=s3['region'],
                                                    access_key=s3['access_key'], secret_key=s3['secret_key'],
                                                    bucket=s3['bucket']))
    assert rc == 0 and result['ok'] is True, result.get('msg')
    assert 'tls_version' not in result
