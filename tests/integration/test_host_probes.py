"""host_probes: every point of an app host's .env in one module run, against the real services.

The .env is written by the test as the app_env role writes it; the module reads it on the host, so the
connection values never reach the controller's output, not even at -vvv.
"""
import json
from pathlib import Path

import pytest

from services.local import guide_env
from services.tcp import HangListener

PLAYBOOK = Path(__file__).parent / 'targets' / 'host_probes' / 'probe.yml'
SECRETS = ('DB_PASSWORD', 'STORAGE_SECRET_KEY', 'XPIPE_API_KEY')


@pytest.fixture
def probe(run_playbook, tmp_path):
    def run(env, **args):
        env_file = tmp_path / 'app.env'
        env_file.write_text(''.join('%s=%s\n' % item for item in env.items()))
        env_file.chmod(0o600)
        result_file = tmp_path / 'result.json'
        res = run_playbook(PLAYBOOK, extra_vars={'probe_args': dict({'env_file': str(env_file)}, **args),
                                                 'result_file': str(result_file)}, verbosity=3)
        assert res.returncode == 0 and result_file.exists(), res.output[-4000:]
        return json.loads(result_file.read_text()), res.output
    return run


def tls_args(services, **more):
    ca = services['ca_cert']
    return dict({'points': ['database', 'storage', 'xpipe'], 'retries': 0, 'timeout': 20,
                 'database': {'ssl_mode': 'verify-full', 'ca_cert': ca, 'check_auth_schema': False},
                 'storage': {'ca_cert': ca}, 'xpipe': {'ca_cert': ca}}, **more)


def test_one_run_proves_every_point_over_tls_and_no_secret_is_printed(probe, services):
    env = dict(guide_env(services), AGENT_COUNT='3')
    result, output = probe(env, **tls_args(services))
    assert result['ok'] and not result.get('failed'), result
    assert sorted(result['probes']) == ['database', 'storage', 'xpipe']
    for point, probed in result['probes'].items():
        assert probed['ok'] and probed['tls_version'].startswith('TLSv1.'), (point, probed)
    assert result['env_missing'] == [] and result['env_mismatch'] is None and result['agent_count'] == 3
    for key in SECRETS:
        assert env[key] not in output, key


def test_a_wrong_password_fails_its_point_only_and_stays_masked(probe, services):
    env = dict(guide_env(services), DB_PASSWORD='wrong-host-probes-pw')
    result, output = probe(env, **tls_args(services))
    assert not result['ok'] and not result.get('failed')
    assert result['probes']['database']['reason'] == 'auth', result['probes']['database']
    assert result['probes']['storage']['ok'] and result['probes']['xpipe']['ok']
    assert 'wrong-host-probes-pw' not in output


def test_a_missing_key_skips_its_point_and_a_mismatch_is_named_by_key(probe, services):
    env = guide_env(services)
    del env['STORAGE_SECRET_KEY']
    expected = {'DB_HOST': '203.0.113.9', 'DB_USER': env['DB_USER'], 'DB_PASSWORD': 'the-expected-pw'}
    result, output = probe(env, expected_env=expected, **tls_args(services))
    assert result['env_missing'] == ['STORAGE_SECRET_KEY'] and 'storage' not in result['probes']
    assert result['env_mismatch'] == ['DB_HOST', 'DB_PASSWORD'] and not result['ok']
    assert result['probes']['database']['ok'] and result['probes']['xpipe']['ok']
    assert 'the-expected-pw' not in output and env['DB_PASSWORD'] not in output


def test_a_connection_option_given_to_a_point_fails_before_any_probe(probe, services):
    args = tls_args(services)
    args['database'] = dict(args['database'], password='not-the-env-pw')
    result, output = probe(guide_env(services), **args)
    assert result.get('failed') and result['probes'] == {}
    assert 'database: password comes from the .env, not from this option: remove password' in result['msg']


def test_the_probes_run_side_by_side(probe, services):
    """Two services that accept and never answer: each probe waits out its own deadline, at the same time."""
    silent = HangListener()
    port = silent.start()
    try:
        env = dict(guide_env(services), DB_HOST='127.0.0.1', DB_PORT=str(port), XPIPE_HOST='127.0.0.1',
                   XPIPE_PORT=str(port))
        result, _output = probe(env, **tls_args(services, timeout=4))
    finally:
        silent.stop()
    assert result['probes']['database']['reason'] == 'timeout', result['probes']['database']
    assert result['probes']['xpipe']['reason'] == 'timeout', result['probes']['xpipe']
    assert result['probes']['storage']['ok']
    # Each waited out (nearly) its whole deadline, and the two waits overlapped: one after the other they
    # alone would take 8 s.
    waits = [result['probes'][point]['elapsed_ms'] for point in ('database', 'xpipe')]
    assert min(waits) > 3000 and result['elapsed_ms'] < 7000, (waits, result['elapsed_ms'])
