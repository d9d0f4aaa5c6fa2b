"""Diagnosis rules (the guide's Common Integration Issues) and the three report formats."""
import json
import xml.etree.ElementTree as ET

from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import diagnose
from ansible_collections.gpt371.infra.plugins.module_utils import _report as report

REFUSED = {'point': 'database', 'host': 'agent-server-0', 'failed_check': 'connect',
           'cause': 'connection refused at 10.0.0.12:5432', 'fix': 'check PostgreSQL runs'}
ACTIVE = [{'name': 'demo-supabase', 'status': 'ACTIVE', 'networks': ['demo-net']},
          {'name': 'demo-xpipe', 'status': 'ACTIVE', 'networks': ['demo-net']}]
SG_MISSING_8080 = {'findings': [{'severity': 'high', 'kind': 'missing_rule', 'group': 'demo-xpipe',
                                 'rule': {'protocol': 'tcp', 'port_range_min': 8080, 'port_range_max': 8080},
                                 'detail': 'demo-xpipe lacks ingress tcp 8080 from 10.10.0.0/24',
                                 'fix': {'openstack.cloud.security_group_rule': {
                                     'security_group': 'demo-xpipe', 'port_range_min': 8080}}}]}


def test_server_not_active_comes_first():
    servers = [{'name': 'demo-supabase', 'status': 'SHUTOFF', 'networks': ['demo-net']}]
    likely, fix, evidence = diagnose(REFUSED, servers, SG_MISSING_8080, deployment='demo')
    assert likely == 'the database server demo-supabase is SHUTOFF'
    assert 'openstack server start demo-supabase' in fix
    assert 'server demo-supabase is SHUTOFF' in evidence


def test_security_group_blocking_the_port():
    row = dict(REFUSED, point='xpipe', failed_check='request', cause='no answer from 10.0.0.11:8080 within 3 s')
    likely, fix, evidence = diagnose(row, ACTIVE, SG_MISSING_8080, deployment='demo')
    assert likely.startswith('a security group blocks port 8080')
    assert 'openstack.cloud.security_group_rule' in fix and 'port_range_min=8080' in fix
    assert any('missing_rule' in e for e in evidence)


def test_security_group_finding_for_another_port_is_not_blamed():
    likely, fix, evidence = diagnose(REFUSED, ACTIVE, SG_MISSING_8080, deployment='demo')
    assert 'security group' not in likely
    assert likely == 'nothing listens on demo-supabase port 5432 although the server is ACTIVE'
    assert 'security groups allow port 5432 as declared' in evidence


def test_credentials_in_env_differ_from_outputs():
    row = {'point': 'storage', 'host': 'core', 'failed_check': 'bucket',
           'cause': 'the secret key does not match the access key', 'fix': 'check STORAGE_SECRET_KEY'}
    likely, fix, _evidence = diagnose(row, env_mismatches={'core': ['STORAGE_SECRET_KEY']})
    assert likely == 'the .env on core holds a STORAGE_SECRET_KEY that differs from the provisioned value'
    assert 'configure.yml' in fix


def test_credentials_match_so_the_service_changed():
    row = {'point': 'database', 'host': 'core', 'failed_check': 'connect',
           'cause': 'password authentication failed for user app', 'fix': 'check DB_PASSWORD'}
    likely, fix, _evidence = diagnose(row, env_mismatches={'core': []})
    assert 'no longer accepts the provisioned credentials' in likely
    assert 'database role' in fix


def test_unknown_cause_keeps_the_probe_diagnosis():
    row = {'point': 'storage', 'host': 'core', 'failed_check': 'bucket',
           'cause': 'bucket x does not exist at http://s3', 'fix': 'create it (storage role) or check STORAGE_BUCKET'}
    assert diagnose(row)[:2] == (row['cause'], row['fix'])


def _probes():
    ok = {'ok': True, 'elapsed_ms': 12, 'attempts': 1, 'checks': [{'name': 'connect', 'ok': True, 'detail': 'fine'}]}
    bad = {'ok': False, 'elapsed_ms': 30, 'attempts': 2, 'failed_check': 'bucket',
           'cause': 'the secret key does not match the access key', 'fix': 'check STORAGE_SECRET_KEY',
           'checks': [{'name': 'bucket', 'ok': False, 'detail': 'SignatureDoesNotMatch'}]}
    return [{'point': 'database', 'host': 'core', 'result': ok}, {'point': 'storage', 'host': 'core', 'result': bad}]


def test_rows_summary_and_formats():
    rows = report.build_rows(_probes(), env_mismatches={'core': ['STORAGE_SECRET_KEY']})
    summary = report.summarize(rows)
    assert summary == {'total': 2, 'passed': 1, 'failed': 1, 'ok': False}
    md = report.render_markdown(rows, summary, 'T')
    assert '| database | core | pass | 12 ms | fine |' in md
    assert '| storage | core | **FAIL** |' in md and 'configure.yml' in md
    suite = ET.fromstring(report.render_junit(rows, summary, 'T', 0.5)).find('testsuite')
    assert (suite.get('tests'), suite.get('failures')) == ('2', '1')
    failure = suite.find("testcase[@name='storage from core']/failure")
    assert 'STORAGE_SECRET_KEY' in failure.get('message') and failure.get('type') == 'bucket'
    data = json.loads(report.render_json(rows, summary, 'T', 'now'))
    assert data['summary']['failed'] == 1 and data['rows'][1]['likely_cause']
    assert report.failure_lines(rows)[0].startswith('storage from core: the .env on core holds')


def test_markdown_escapes_pipes():
    rows = [{'point': 'xpipe', 'host': 'h', 'ok': True, 'latency_ms': 1, 'detail': 'a | b'}]
    assert 'a \\| b' in report.render_markdown(rows, report.summarize(rows), 'T')


def test_security_group_row():
    rows = report.build_rows([], secgroup=SG_MISSING_8080)
    assert rows[0]['point'] == 'security_groups' and not rows[0]['ok']
    assert rows[0]['fix'].startswith('openstack.cloud.security_group_rule: ') and 'port_range_min=8080' in rows[0]['fix']
