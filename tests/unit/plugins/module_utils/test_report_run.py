"""_report: the run every report carries, the rows from each host's results, servers that are not ACTIVE, the agent
count, and the HTML matrix (hosts x integration points, one cell each)."""
import datetime
import json
import re
import uuid
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _report as report
from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import diagnose, server_state_fix

OK = {'ok': True, 'elapsed_ms': 9, 'attempts': 1, 'checks': [{'name': 'connect', 'ok': True, 'detail': 'fine'}]}
AUTH = {'ok': False, 'elapsed_ms': 30, 'attempts': 1, 'failed_check': 'bucket', 'reason': 'auth',
        'cause': 'the secret key does not match the access key', 'fix': 'check STORAGE_SECRET_KEY',
        'checks': [{'name': 'bucket', 'ok': False, 'reason': 'auth', 'detail': 'SignatureDoesNotMatch'}]}
SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}


# -- the run -------------------------------------------------------------------------------------

def test_a_run_has_one_id_and_a_utc_start():
    now = datetime.datetime(2026, 12, 3, 12, 0, 5, tzinfo=datetime.timezone.utc)
    run = report.new_run('demo', now=now)
    assert str(uuid.UUID(run['id'])) == run['id']
    assert run == {'id': run['id'], 'started_at': '2026-12-03T12:00:05Z', 'finished_at': None,
                   'deployment': 'demo', 'status': 'running'}
    assert report.new_run('demo')['id'] != report.new_run('demo')['id']
    assert report.new_run('demo', 'given', '2026-01-01T00:00:00Z')['id'] == 'given'


def test_the_start_report_fails_and_names_the_run():
    run = report.new_run('demo', 'r-1', '2026-12-03T12:00:00Z')
    rows = report.unfinished_rows(run, 'verify_points: must be ...')
    summary = report.summarize(rows)
    assert summary == {'total': 1, 'passed': 0, 'failed': 1, 'ok': False}
    assert rows[0]['cause'] == ('verify run r-1 (started 2026-12-03T12:00:00Z) stopped before its report was '
                                'complete: verify_points: must be ...')
    junit = ET.fromstring(report.render_junit(rows, summary, 'T', 0.1, run))
    suite = junit.find('testsuite')
    assert (junit.get('failures'), suite.get('failures')) == ('1', '1')
    props = {p.get('name'): p.get('value') for p in suite.iter('property')}
    assert props['run_id'] == 'r-1' and props['run_status'] == 'running' and props['run_deployment'] == 'demo'
    assert suite.get('timestamp') == '2026-12-03T12:00:00'
    md = report.render_markdown(rows, summary, 'T', run)
    assert 'Run r-1 · deployment demo · started 2026-12-03T12:00:00Z · NOT FINISHED' in md and 'FAIL: 0 of 1' in md
    data = json.loads(report.render_json(rows, summary, 'T', 'now', run))
    assert data['run'] == run and data['summary']['ok'] is False
    page = report.render_html(rows, summary, 'T', run)
    assert 'data-run-id="r-1"' in page and 'has not finished' in page


# -- rows from each host's results ---------------------------------------------------------------------

def test_every_wanted_pair_gets_a_row_and_missing_ones_fail():
    results = {'a': {'probes': {'database': OK, 'storage': AUTH, 'xpipe': SKIPPED}, 'env_mismatch': []},
               'c': {'error': 'Read the deployed .env failed: file not found'}}
    probes, mismatches = report.probes_from_results(results, ['a', 'b', 'c'], ['database', 'storage', 'xpipe'])
    assert [(p['host'], p['point']) for p in probes] == [
        (h, p) for h in 'abc' for p in ('database', 'storage', 'xpipe')]
    by = {(p['host'], p['point']): p['result'] for p in probes}
    assert by[('a', 'database')] is OK and by[('a', 'storage')] is AUTH
    assert by[('a', 'xpipe')]['ok'] is False, 'a wanted point whose probe was skipped did not run'
    assert 'did not run on b (unreachable' in by[('b', 'storage')]['cause']
    assert by[('c', 'xpipe')]['cause'] == (
        'the probe did not run on c: Read the deployed .env failed: file not found')
    assert mismatches == {'a': []}


def test_a_host_lacking_keys_fails_every_row_naming_them():
    results = {'a': {'probes': {'database': OK, 'storage': OK}, 'env_mismatch': ['DB_PORT'],
                     'env_missing': ['XPIPE_HOST', 'DB_HOST'], 'env_source': '/opt/371gpt/.env on a'},
               'b': {'probes': {'database': OK, 'storage': OK}, 'env_missing': []}}
    probes, mismatches = report.probes_from_results(results, ['a', 'b'], ['database', 'storage'])
    by = {(p['host'], p['point']): p['result'] for p in probes}
    for point in ('database', 'storage'):
        assert by[('a', point)]['ok'] is False, 'a probe that ran without the missing keys does not pass'
        assert by[('a', point)]['cause'] == (
            'the probe did not run on a: /opt/371gpt/.env on a lacks XPIPE_HOST, DB_HOST: re-run '
            'playbooks/configure.yml (app_env role) to write the .env, or set them')
        assert by[('b', point)] is OK
    assert report.env_missing_error({'env_missing': ['DB_HOST']}).startswith('the .env lacks DB_HOST: ')
    assert report.env_missing_error({'env_missing': []}) is None


def test_env_mismatches_are_none_when_no_host_compared():
    mismatches = report.probes_from_results({'a': {'probes': {'database': OK}, 'env_mismatch': None}}, ['a'],
                                            ['database'])[1]
    assert mismatches is None


def test_points_not_wanted_are_not_rows():
    probes = report.probes_from_results({'a': {'probes': {'database': OK, 'xpipe': SKIPPED}}}, ['a'], ['database'])[0]
    assert [(p['host'], p['point']) for p in probes] == [('a', 'database')]


# -- servers that are not ACTIVE ---------------------------------------------------------------------------

@pytest.mark.parametrize('status, words', [
    ('ERROR', ['openstack server show demo-agent-server-1 -c fault',
               'openstack server set --state active demo-agent-server-1',
               'openstack server rebuild demo-agent-server-1', 'openstack server delete demo-agent-server-1',
               'provision.yml']),
    ('SHUTOFF', ['openstack server start demo-agent-server-1']),
    ('SUSPENDED', ['openstack server resume demo-agent-server-1']),
    ('SHELVED_OFFLOADED', ['openstack server unshelve demo-agent-server-1']),
    ('BUILD', ['still being built']),
    ('MIGRATING', ['wait for the MIGRATING operation']),
])
def test_the_fix_fits_the_state(status, words):
    fix = server_state_fix('demo-agent-server-1', status)
    assert all(w in fix for w in words), fix
    if status != 'SHUTOFF':
        assert 'server start' not in fix


def test_not_active_servers_are_failing_rows_once_each():
    raw = [{'name': 'demo-agent-server-1', 'status': 'ERROR', 'fault': {'code': 500, 'message': 'No valid host'},
            'metadata': {'gpt371_role': 'agent'}, 'addresses': {}},
           {'name': 'demo-core', 'status': 'ACTIVE', 'addresses': {'demo-net': []}},
           {'name': 'demo-xpipe', 'status': 'SHUTOFF', 'addresses': {'demo-net': []}}]
    from_instances = [{'name': 'demo-agent-server-1', 'status': 'ERROR', 'fault': 'No valid host'}]
    rows = report.build_rows([], servers=raw, not_active=from_instances)
    assert [(r['point'], r['host'], r['ok']) for r in rows] == [
        ('server', 'demo-agent-server-1', False), ('server', 'demo-xpipe', False)]
    assert rows[0]['likely_cause'] == 'server demo-agent-server-1 is ERROR: No valid host'
    assert 'openstack server set --state active demo-agent-server-1' in rows[0]['fix']
    assert rows[1]['likely_cause'] == 'server demo-xpipe is SHUTOFF'
    assert rows[1]['fix'] == 'start it: openstack server start demo-xpipe'
    assert report.failure_lines(rows)[0].startswith('server from demo-agent-server-1: server demo-agent-server-1 '
                                                    'is ERROR: No valid host. Fix: show the fault')


def test_not_active_from_the_instances_role_alone():
    rows = report.build_rows([{'point': 'database', 'host': 'core', 'result': OK}],
                             not_active=[{'name': 'demo-supabase', 'status': 'ERROR', 'fault': ''}])
    assert [r['ok'] for r in rows] == [True, False] and rows[1]['cause'] == 'server demo-supabase is ERROR'


def test_server_down_diagnosis_shows_the_fault_and_the_state_fix():
    row = {'point': 'database', 'host': 'core', 'reason': 'timeout', 'cause': 'no answer', 'fix': ''}
    servers = [report.server_summary({'name': 'demo-supabase', 'status': 'ERROR',
                                      'fault': {'message': 'disk full'}, 'addresses': {}})]
    verdict = diagnose(row, servers, deployment='demo')
    assert verdict['likely_cause'] == 'the database server demo-supabase is ERROR: disk full'
    assert 'openstack server set --state active demo-supabase' in verdict['fix']


# -- agent count ------------------------------------------------------------------------------------------

def _agents(n, status='ACTIVE'):
    return [{'name': 'demo-agent-server-%d' % i, 'status': status, 'metadata': {'gpt371_role': 'agent'}}
            for i in range(n)] + [{'name': 'demo-core', 'status': 'ACTIVE', 'metadata': {'gpt371_role': 'core'}}]


def test_agent_count_matches():
    rows = report.build_rows([], servers=_agents(3), agent_count=3, deployment='demo')
    assert rows == [dict(rows[0], point='agents', host='cloud', ok=True)]
    assert rows[0]['detail'] == '3 agent servers (3 ACTIVE), agent_count is 3'


def test_agent_count_differs_is_a_failing_row_with_the_fix():
    rows = report.build_rows([], servers=_agents(2), agent_count=3, deployment='demo')
    assert not rows[0]['ok']
    assert rows[0]['likely_cause'] == 'the cloud has 2 agent servers of deployment demo, agent_count is 3'
    assert 'scale.yml -e agent_count=3' in rows[0]['fix']


@pytest.mark.parametrize('servers, count', [(None, 3), (_agents(2), None), (_agents(2), -1)])
def test_agent_count_not_checked_without_servers_or_count(servers, count):
    assert report.build_rows([], servers=servers, agent_count=count) == []


# -- HTML ---------------------------------------------------------------------------------------------------

class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.external, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'td' and 'data-host' in attrs:
            self.cells.append((attrs['data-host'], attrs['data-point'], attrs['data-state']))
        if tag == 'script':
            self.scripts += 1
        for key in ('src', 'href'):
            if attrs.get(key):
                self.external.append(attrs[key])


def _rows():
    probes = [{'point': p, 'host': h, 'result': OK} for h in ('agent-0', 'agent-1') for p in report.DEFAULT_POINTS]
    probes[4] = dict(probes[4], result=AUTH)
    return report.build_rows(probes, servers=_agents(1), agent_count=2, deployment='demo',
                             not_active=[{'name': 'demo-xpipe', 'status': 'ERROR', 'fault': 'No valid host'}])


def test_matrix_one_cell_per_host_and_point():
    hosts, points, cells = report.matrix(_rows())
    assert hosts == ['agent-0', 'agent-1', 'demo-xpipe'] and points == list(report.DEFAULT_POINTS)
    assert sorted(cells) == sorted((h, p) for h in hosts for p in points)
    assert cells[('agent-1', 'storage')]['state'] == 'fail'
    assert cells[('agent-1', 'storage')]['cause'] == AUTH['cause']
    assert cells[('demo-xpipe', 'xpipe')]['cause'] == 'not probed: server demo-xpipe is ERROR: No valid host'


def test_html_is_self_contained_with_the_run_and_every_cell():
    run = dict(report.new_run('demo', 'run-42', '2026-12-03T12:00:00Z'), finished_at='2026-12-03T12:00:40Z',
               status='finished')
    rows = _rows()
    page = report.render_html(rows, report.summarize(rows), '371GPT <report>', run)
    parser = _Cells()
    parser.feed(page)
    assert len(parser.cells) == 9 and len(set(cell[:2] for cell in parser.cells)) == 9
    assert [cell[2] for cell in parser.cells].count('fail') == 4  # one storage cell + the ERROR server's three
    assert parser.external == [] and parser.scripts == 0, 'no network fetch, no script'
    assert re.search(r'Run <b>run-42</b> · deployment <b>demo</b> · started 2026-12-03T12:00:00Z · finished '
                     r'2026-12-03T12:00:40Z', page)
    assert '371GPT &lt;report&gt;' in page and '<report>' not in page
    assert 'Fix: run playbooks/scale.yml -e agent_count=2' in page


# -- the services point: service_env's result, and the agent server's replicas ----------------------------

def _senv(services, ok=True, **more):
    result = {'changed': False, 'failed': False, 'ok': ok, 'reason': None if ok else 'env_missing',
              'services': [{'service': s, 'container': c, 'ok': True, 'missing': [], 'stale': []}
                           for s, c in services],
              'checks': [{'name': 'service %s (%s)' % sc, 'ok': True, 'detail': '5 keys'} for sc in services],
              'cause': '', 'fix': '', 'failures': []}
    result.update(more)
    return result


def test_an_agent_server_with_fewer_replicas_than_agent_count_fails_naming_the_count():
    running = _senv([('agent-service', 'p-agent-service-1'), ('agent-service', 'p-agent-service-2')])
    results = {'agents-1': {'probes': {'services': running}, 'agent_replicas': 3},
               'core-1': {'probes': {'services': _senv([('api', 'p-api-1')])}, 'agent_replicas': -1}}
    probes = report.probes_from_results(results, ['agents-1', 'core-1'], ['services'])[0]
    rows = {r['host']: r for r in report.build_rows(probes)}
    agents = rows['agents-1']
    assert agents['ok'] is False and agents['reason'] == 'replicas' and agents['failed_check'] == 'replicas'
    assert agents['likely_cause'] == ('service agent-service on agents-1 runs 2 containers (p-agent-service-1, '
                                      'p-agent-service-2), AGENT_COUNT in the .env is 3')
    assert 'docker compose up -d' in agents['fix'] and 'deploy.yml' in agents['fix']
    assert 'replicas:FAILED' in agents['checks']
    assert rows['core-1']['ok'] is True, 'not an agent server: no count'
    assert running['ok'] is True, 'the registered result is not changed in place'


def test_the_right_replica_count_passes_and_a_missing_env_keeps_its_cause():
    two = [('agent-service', 'p-agent-service-1'), ('agent-service', 'p-agent-service-2')]
    fine = report.agent_replicas_check(_senv(two), 'agents-1', '2')
    assert fine['ok'] is True and fine['checks'][-1] == {'name': 'replicas', 'ok': True,
                                                         'detail': '2 of 2 agent-service containers running'}
    without = _senv(two, ok=False, cause='service agent-service on agents-1 runs without DB_PASSWORD (containers '
                                         'p-agent-service-1, p-agent-service-2)', fix='add `env_file: .env`')
    both = report.agent_replicas_check(without, 'agents-1', 3)
    assert both['reason'] == 'env_missing' and both['cause'].startswith(without['cause'] + '; service agent-service')
    assert 'AGENT_COUNT in the .env is 3' in both['cause'] and both['fix'].startswith('add `env_file: .env`; ')
    down = {'failed': False, 'ok': False, 'reason': 'engine_down', 'services': [], 'cause': 'the Docker engine on '
            'agents-1 is not running', 'fix': 'start it'}
    assert report.agent_replicas_check(down, 'agents-1', 3) is down, 'the module failed first: its cause stands'
    assert report.agent_replicas_check(_senv([]), 'agents-1', None)['ok'] is True


def test_the_services_point_is_a_matrix_column():
    probes = report.probes_from_results({'a': {'probes': {'database': OK, 'services': _senv([('api', 'p-api-1')])}}},
                                        ['a'], ['database', 'services'])[0]
    hosts, points, cells = report.matrix(report.build_rows(probes))
    assert points == ['database', 'services'] and cells[('a', 'services')]['state'] == 'pass'
