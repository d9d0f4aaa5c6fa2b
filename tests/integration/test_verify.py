"""playbooks/verify.yml against real local services: a healthy run, then faults the report must diagnose."""
import json
import xml.etree.ElementTree as ET

import pytest

from services.local import guide_env

PLAYBOOK = 'playbooks/verify.yml'


@pytest.fixture
def verify(services, run_playbook, tmp_path):
    def run(env_changes=None, expected_env=None):
        env = dict(guide_env(services), **(env_changes or {}))
        extra = {'verify_hosts': 'localhost', 'verify_env_source': 'vars', 'verify_env': env,
                 'verify_ca_cert': services['ca_cert'], 'verify_report_dir': str(tmp_path), 'verify_delay': 0.2}
        if expected_env is not None:
            extra['verify_expected_env'] = expected_env
        res = run_playbook(PLAYBOOK, extra_vars=extra)
        report = json.loads((tmp_path / 'integration-report.json').read_text())
        rows = {r['point']: r for r in report['rows']}
        return res, report, rows
    return run


def test_healthy_system_passes_with_three_reports(verify, tmp_path):
    res, report, rows = verify()
    assert res.returncode == 0, res.output[-3000:]
    assert report['summary'] == {'total': 3, 'passed': 3, 'failed': 0, 'ok': True}
    assert set(rows) == {'database', 'storage', 'xpipe'} and all(r['host'] == 'localhost' for r in rows.values())
    assert all(isinstance(r['latency_ms'], int) for r in rows.values())
    suite = ET.parse(tmp_path / 'integration-report.xml').getroot().find('testsuite')
    assert (suite.get('tests'), suite.get('failures')) == ('3', '0')
    md = (tmp_path / 'integration-report.md').read_text()
    assert '| Integration point | From host | Result | Latency | Detail |' in md and 'PASS: 3 of 3' in md
    assert 'changed=0' in res.stdout
    assert 'POINT            FROM' in res.stdout, 'the summary table is printed at the end of the play'


def test_wrong_storage_secret_is_diagnosed_and_the_rest_still_checked(verify, services, tmp_path):
    right = guide_env(services)
    res, report, rows = verify(env_changes={'STORAGE_SECRET_KEY': 'wrong-secret-in-the-env-file'},
                               expected_env=right)
    assert res.returncode != 0
    assert not rows['storage']['ok']
    assert rows['storage']['likely_cause'] == (
        'the .env on localhost holds a STORAGE_SECRET_KEY that differs from the provisioned value')
    assert 'configure.yml' in rows['storage']['fix']
    assert rows['database']['ok'] and rows['xpipe']['ok']
    assert report['summary']['failed'] == 1
    assert 'STORAGE_SECRET_KEY' in res.output and 'Fix:' in res.output
    assert 'wrong-secret-in-the-env-file' not in res.output and right['STORAGE_SECRET_KEY'] not in res.output
    junit = ET.parse(tmp_path / 'integration-report.xml').getroot()
    failure = junit.find(".//testcase[@name='storage from localhost']/failure")
    assert failure is not None and 'STORAGE_SECRET_KEY' in failure.get('message')


def test_database_down_and_wrong_api_key_both_reported(verify, services):
    res, report, rows = verify(env_changes={'DB_PORT': str(services['pg']['port_closed']),
                                            'XPIPE_API_KEY': 'wrong-api-key-in-the-env-file'})
    assert res.returncode != 0
    assert report['summary'] == {'total': 3, 'passed': 1, 'failed': 2, 'ok': False}
    assert rows['database']['failed_check'] == 'connect'
    assert 'connection refused' in rows['database']['likely_cause']
    assert rows['database']['attempts'] == 2, 'refused connections are retried (verify_retries=1)'
    assert 'XPIPE_API_KEY' in rows['xpipe']['fix']
    assert rows['storage']['ok']
