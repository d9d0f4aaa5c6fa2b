"""The three probes against real services: every fault case of the matrix, and no secret in -vvv output.

Each target playbook (targets/<module>/playbook.yml) holds its cases as A1-style task pairs:
the probe, then an assert on `failed`, the failing check, the reason and the cause/fix. One -vvv
run per module serves both tests below, so the fault cases are also the leak test.

Besides the services fixture, the targets get `faults` (the `probe_faults` fixture below): a TCP
server that accepts and never answers, a plain-TCP server that answers HTTP to anything, and one
TLS server per certificate fault, with real certificates made with `cryptography` (tests/helpers/tls.py: expired,
not yet valid, wrong host name, unknown CA, self-signed). The TLS servers speak PostgreSQL's
SSLRequest preamble too, so pg_probe meets the same certificates: they are TLS stand-ins, not
PostgreSQL, S3 or XPipe servers, and a handshake is all a certificate failure needs.
"""
import datetime
import re
from pathlib import Path

import pytest

from services.local import guide_env
from services.tcp import HangListener
from tests.helpers.tls import PlainHttp, TlsStandin, make_fault_certificates

TARGETS = Path(__file__).parent / 'targets'
OUTPUT = Path(__file__).parents[1] / 'output'
MODULES = ['pg_probe', 's3_probe', 'xpipe_health']
_runs = {}


@pytest.fixture(scope='session')
def probe_faults(tmp_path_factory):
    """Ports and facts of the fault servers (see the module docstring)."""
    directory = tmp_path_factory.mktemp('probe-faults')
    certs, facts = make_fault_certificates(directory, datetime.datetime.now(datetime.timezone.utc))
    servers = {fault: TlsStandin(*pair) for fault, pair in certs.items()}
    servers['not_tls'] = PlainHttp()
    silent = HangListener()  # accepts, never answers
    try:
        ports = {fault: server.start() for fault, server in servers.items()}
        ports['silent'] = silent.start()
        yield dict(facts, port=ports)
    finally:
        for server in servers.values():
            server.stop()
        silent.stop()


# -- tests ---------------------------------------------------------------------------------------

def wrong_values():
    """Wrong secrets the targets pass on purpose: they must be masked as well."""
    found = set()
    for module in MODULES:
        text = (TARGETS / module / 'playbook.yml').read_text()
        found.update(re.findall(r'(?:password|secret_key|api_key): (wrong-[\w-]+|not-the-[\w-]+)', text))
    return sorted(found)


@pytest.fixture
def target_run(services, probe_faults, run_playbook):
    def run(module):
        if module not in _runs:
            res = run_playbook(TARGETS / module / 'playbook.yml', extra_vars={'svc': services, 'faults': probe_faults},
                               verbosity=3)
            # Kept for reading after a failure (tests/output is not committed).
            (OUTPUT / ('%s-vvv.log' % module)).write_text(res.stdout + res.stderr)
            _runs[module] = res
        return _runs[module]
    return run


@pytest.mark.parametrize('module', MODULES)
def test_fault_matrix(module, target_run):
    res = target_run(module)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    recap = re.search(r'localhost\s+: ok=(\d+)\s+changed=(\d+).*failed=(\d+).*ignored=(\d+)', res.stdout)
    assert recap, res.stdout[-2000:]
    ok, changed, failed, ignored = map(int, recap.groups())
    assert failed == 0 and changed == 0
    # Every "Case ..." task is an expected failure (ignored), or a pass marked "(passes)" in its name.
    text = (TARGETS / module / 'playbook.yml').read_text()
    cases = len(re.findall(r'^    - name: Case ', text, re.M))
    passing = len(re.findall(r'^    - name: Case .*\(passes\)', text, re.M))
    assert ignored == cases - passing, 'every case not marked (passes) fails on purpose: %d ignored of %d cases, %d' \
        ' marked (passes)' % (ignored, cases, passing)


@pytest.mark.parametrize('module', MODULES)
def test_no_secret_in_vvv_output(module, services, target_run):
    res = target_run(module)
    output = res.stdout + res.stderr
    assert 'check failed' in output, 'the -vvv run shows no failure message: the test would prove nothing'
    secrets = [services['pg']['password'], services['s3']['secret_key'], services['s3']['readonly_secret_key'],
               services['xpipe']['api_key']] + wrong_values()
    assert len(wrong_values()) >= 3
    leaked = [s for s in secrets if s and s in output]
    assert not leaked, 'secrets in -vvv output of %s: %d of %d leaked' % (module, len(leaked), len(secrets))


def guide_environment(services, module):
    """The .env variables of the guide for one probe."""
    env = guide_env(services)
    env['STORAGE_ENDPOINT'] = services['s3']['endpoint']
    prefix = {'pg_probe': 'DB_', 's3_probe': 'STORAGE_', 'xpipe_health': 'XPIPE_'}[module]
    return {k: v for k, v in env.items() if k.startswith(prefix)}


@pytest.mark.parametrize('module', MODULES)
def test_connection_from_guide_environment(module, services, run_playbook):
    env = guide_environment(services, module)
    res = run_playbook(TARGETS / module / 'from_env.yml', extra_vars={'ca_cert': services['ca_cert']},
                       env=env, verbosity=3)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    secret = [v for k, v in env.items() if k.endswith(('PASSWORD', 'SECRET_KEY', 'API_KEY'))][0]
    assert secret not in output
