"""playbooks/verify.yml against real local services: a healthy run, then faults the report must diagnose,
servers that are not ACTIVE, and a previous report that must never survive a run looking current."""
import datetime
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.helpers.compose import ComposeProject, docker, missing_compose_or_image
from tests.helpers.tls import make_fault_certificates

from services.local import guide_env

PLAYBOOK = 'playbooks/verify.yml'
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
AGENT_IMAGE = 'gpt371-ref-agent:0.1'


@pytest.fixture
def verify(services, run_playbook, tmp_path):
    def run(env_changes=None, expected_env=None, **more):
        env = dict(guide_env(services), **(env_changes or {}))
        extra = {'verify_hosts': 'localhost', 'verify_env_source': 'vars', 'verify_env': env,
                 'verify_ca_cert': services['ca_cert'], 'verify_report_dir': str(tmp_path), 'verify_delay': 0.2,
                 # the probes alone; the services point (a compose project on the host) has its own tests below
                 'verify_points': ['database', 'storage', 'xpipe']}
        if expected_env is not None:
            extra['verify_expected_env'] = expected_env
        extra.update(more)
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
    assert '| Integration point | From host | Result | TLS | Latency | Detail |' in md and 'PASS: 3 of 3' in md
    assert 'changed=0' in res.stdout
    assert 'POINT            FROM' in res.stdout, 'the summary table is printed at the end of the play'


def test_tls_everywhere_verify_full_and_the_external_api_row(verify, services, tmp_path):
    """With a CA, the database is probed with verify-full (the default then); every row shows its TLS version in the
    four formats; the public API is checked from the controller over TLS as its own row."""
    res, report, rows = verify(verify_api_external=True, verify_api_external_ca_cert=services['ca_cert'],
                               verify_api_external_url=services['xpipe']['url_https'] + '/public/health')
    assert res.returncode == 0, res.output[-3000:]
    assert set(rows) == {'database', 'storage', 'xpipe', 'api (external)'}
    assert rows['api (external)']['host'] == 'controller' and rows['api (external)']['ok']
    for point, row in rows.items():
        assert row['tls_version'] in ('TLSv1.2', 'TLSv1.3'), (point, row)
    md = (tmp_path / 'integration-report.md').read_text()
    assert '| database | localhost | pass | TLSv1.' in md and '| api (external) | controller | pass | TLSv1.' in md
    suite = ET.parse(tmp_path / 'integration-report.xml').getroot().find('testsuite')
    tls = [p.get('value') for p in suite.iter('property') if p.get('name') == 'tls_version']
    assert len(tls) == 4 and all(v.startswith('TLSv1.') for v in tls), tls
    page = (tmp_path / 'integration-report.html').read_text()
    assert page.count('data-tls="TLSv1.') == 3 and 'api (external)' in page


def test_with_a_ca_the_database_is_verified_full(verify, tmp_path):
    """With verify_ca_cert set, the database probe defaults to verify-full: another CA than the one that signed the
    server's certificate fails the chain (require, the default without a CA, would not check it)."""
    _certs, facts = make_fault_certificates(tmp_path, datetime.datetime.now(datetime.timezone.utc))
    res, _report, rows = verify(verify_points=['database'], verify_ca_cert=facts['ca_cert'])
    assert res.returncode != 0
    assert rows['database']['reason'] == 'tls_untrusted', rows['database']
    assert rows['database']['tls_version'] is None


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


REPORTS = ('json', 'md', 'xml', 'html')


def _run_ids(tmp_path):
    """The run id each of the four files carries."""
    data = json.loads((tmp_path / 'integration-report.json').read_text())
    suite = ET.parse(tmp_path / 'integration-report.xml').getroot().find('testsuite')
    props = {p.get('name'): p.get('value') for p in suite.iter('property')}
    md = re.search(r'^Run (\S+) · ', (tmp_path / 'integration-report.md').read_text(), re.M)
    page = re.search(r'data-run-id="([^"]+)"', (tmp_path / 'integration-report.html').read_text())
    return {data['run']['id'], props['run_id'], md.group(1), page.group(1)}


def test_every_report_carries_the_run(verify, tmp_path):
    res, report, rows = verify()
    assert res.returncode == 0, res.output[-3000:]
    run = report['run']
    assert run['status'] == 'finished' and run['deployment'] == 'gpt371'
    assert run['started_at'] <= run['finished_at'] and run['started_at'].endswith('Z')
    assert _run_ids(tmp_path) == {run['id']}, 'one id, in all four files'
    assert 'Run %s.' % run['id'] in res.stdout
    again = verify()
    assert again[0].returncode == 0 and again[1]['run']['id'] != run['id'], 'each run has its own id'


def test_servers_not_active_are_failing_rows_and_the_rest_is_probed(verify, tmp_path):
    """The instances role's instances_not_active fact (here as an extra var, visible in hostvars['localhost'])."""
    not_active = [{'name': 'gpt371-agent-server-1', 'status': 'ERROR', 'fault': 'No valid host was found.'},
                  {'name': 'gpt371-xpipe', 'status': 'SHUTOFF', 'fault': ''}]
    res, report, rows = verify(instances_not_active=not_active)
    assert res.returncode != 0
    assert report['summary'] == {'total': 5, 'passed': 3, 'failed': 2, 'ok': False}
    assert rows['database']['ok'] and rows['storage']['ok'] and rows['xpipe']['ok'], 'every host still probed'
    servers = {r['host']: r for r in report['rows'] if r['point'] == 'server'}
    error, shutoff = servers['gpt371-agent-server-1'], servers['gpt371-xpipe']
    assert error['likely_cause'] == 'server gpt371-agent-server-1 is ERROR: No valid host was found.'
    assert 'openstack server set --state active gpt371-agent-server-1' in error['fix']
    assert 'openstack server rebuild gpt371-agent-server-1' in error['fix'] and 'provision.yml' in error['fix']
    assert shutoff['fix'] == 'start it: openstack server start gpt371-xpipe'
    assert 'server gpt371-agent-server-1 is ERROR: No valid host was found.' in res.output
    suite = ET.parse(tmp_path / 'integration-report.xml').getroot().find('testsuite')
    assert (suite.get('tests'), suite.get('failures')) == ('5', '2')
    page = (tmp_path / 'integration-report.html').read_text()
    assert 'data-host="gpt371-agent-server-1" data-point="database" data-state="fail"' in page


def _plant_a_green_report(tmp_path):
    old = {'title': 'old', 'generated_at': '2026-01-01T00:00:00Z', 'rows': [],
           'summary': {'total': 19, 'passed': 19, 'failed': 0, 'ok': True}}
    (tmp_path / 'integration-report.json').write_text(json.dumps(old))
    (tmp_path / 'integration-report.md').write_text('# old\n\nPASS: 19 of 19 integration points pass.\n')
    (tmp_path / 'integration-report.xml').write_text(
        '<testsuites tests="19" failures="0"><testsuite tests="19" failures="0"/></testsuites>')
    (tmp_path / 'integration-report.html').write_text('<p>PASS: 19 of 19</p>')


def test_a_run_that_stops_early_replaces_the_previous_green_report(verify, tmp_path):
    _plant_a_green_report(tmp_path)
    res, report, rows = verify(verify_timeout=0)
    assert res.returncode != 0
    assert 'verify_timeout > 0' in res.output, 'the precheck names the option'
    assert report['summary'] == {'total': 1, 'passed': 0, 'failed': 1, 'ok': False}
    assert report['run']['status'] == 'running' and report['run']['finished_at'] is None
    assert 'stopped before its report was complete' in rows['verify']['cause']
    assert 'verify_timeout' in rows['verify']['cause'], 'the report says why the run stopped'
    suite = ET.parse(tmp_path / 'integration-report.xml').getroot().find('testsuite')
    assert (suite.get('tests'), suite.get('failures')) == ('1', '1')
    for ext in REPORTS:
        assert '19 of 19' not in (tmp_path / ('integration-report.' + ext)).read_text(), ext
    assert _run_ids(tmp_path) == {report['run']['id']}


def test_a_finished_run_replaces_the_previous_report(verify, tmp_path):
    _plant_a_green_report(tmp_path)
    res, report, rows = verify(env_changes={'XPIPE_API_KEY': 'wrong-api-key-in-the-env-file'})
    assert res.returncode != 0
    assert report['summary'] == {'total': 3, 'passed': 2, 'failed': 1, 'ok': False}
    assert report['run']['status'] == 'finished'
    for ext in REPORTS:
        assert '19 of 19' not in (tmp_path / ('integration-report.' + ext)).read_text(), ext


def test_precheck_action_validates_and_writes_nothing(services, run_playbook, tmp_path):
    extra = {'verify_hosts': 'localhost', 'verify_env_source': 'vars', 'verify_env': guide_env(services),
             'verify_report_dir': str(tmp_path / 'reports'), 'infra_action': 'precheck'}
    res = run_playbook(PLAYBOOK, extra_vars=extra)
    assert res.returncode == 0, res.output[-3000:]
    assert 'changed=0' in res.stdout and not (tmp_path / 'reports').exists()
    bad = dict(extra, verify_env={'DB_HOST': 'x'})
    res = run_playbook(PLAYBOOK, extra_vars=bad)
    assert res.returncode != 0 and 'verify_env: with verify_env_source=vars it must hold' in res.output
    assert 'it has DB_HOST.' in res.output and not (tmp_path / 'reports').exists()


def test_a_run_stopped_before_the_app_hosts_leaves_its_own_report(run_playbook, tmp_path):
    """A localhost play runs the role's start.yml first (as playbooks/verify.yml can, before looking up the
    servers); the run then dies before any probe: its own failing report is on disk, not the old green one."""
    _plant_a_green_report(tmp_path)
    playbook = tmp_path / 'stops-early.yml'
    playbook.write_text(json.dumps([
        {'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            {'ansible.builtin.include_role': {'name': 'gpt371.infra.verify', 'tasks_from': 'start'}}]},
        {'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            {'ansible.builtin.fail': {'msg': 'server gpt371-core is ERROR (stand-in for a failed lookup)'}}]}]))
    res = run_playbook(str(playbook), extra_vars={'verify_report_dir': str(tmp_path), 'verify_env_source': 'vars',
                                                  'verify_env': {'DB_HOST': 'h', 'DB_USER': 'u', 'DB_PASSWORD': 'p',
                                                                 'STORAGE_ENDPOINT': 'e', 'STORAGE_ACCESS_KEY': 'a',
                                                                 'STORAGE_SECRET_KEY': 's', 'XPIPE_HOST': 'x'}})
    assert res.returncode != 0 and 'stand-in for a failed lookup' in res.output
    report = json.loads((tmp_path / 'integration-report.json').read_text())
    assert report['summary']['ok'] is False and report['run']['status'] == 'running'
    assert _run_ids(tmp_path) == {report['run']['id']}
    for ext in REPORTS:
        assert '19 of 19' not in (tmp_path / ('integration-report.' + ext)).read_text(), ext


def test_check_action_probes_and_changes_nothing(verify, tmp_path):
    res, report, rows = verify(infra_action='check')
    assert res.returncode == 0, res.output[-3000:]
    assert report['summary']['ok'] and report['run']['status'] == 'finished'
    assert 'changed=0' in res.stdout


def test_an_env_file_without_a_key_names_it_in_every_row(verify, services, tmp_path):
    env = dict(guide_env(services))
    del env['DB_HOST']
    env_file = tmp_path / 'app.env'
    env_file.write_text(''.join('%s=%s\n' % item for item in env.items()))
    res, report, rows = verify(verify_env_source='file', verify_env_file=str(env_file))
    assert res.returncode != 0
    assert report['summary']['failed'] == 3 and report['run']['status'] == 'finished'
    for row in rows.values():
        assert '%s on localhost lacks DB_HOST' % env_file in row['cause'], row['cause']
    assert env['DB_PASSWORD'] not in res.output


# -- the services point: the agents' own view (issue 13, class 9; issue 11, item 5) ------------------------------

needs_agents = pytest.mark.skipif(
    missing_compose_or_image(AGENT_IMAGE),
    reason='needs the docker CLI with compose v2 and %s (examples/reference-stack/build.sh)' % AGENT_IMAGE)


class AgentServer(ComposeProject):
    """An agent server's part of the reference stack (examples/reference-stack/hosts/agents.yml) on the local
    engine, as project gpt371-r<random>, next to its .env (the guide's values and AGENT_COUNT), the way the stack
    role deploys it; localhost is in group agents of its inventory. Its containers are removed by id at the end."""

    def __init__(self, tmp_path, services, with_env_file=True, agent_count=3):
        self.name = 'gpt371-r%s' % uuid.uuid4().hex[:8]
        self.dir = tmp_path / 'stack'
        (self.dir / 'hosts').mkdir(parents=True)
        text = open(os.path.join(REPO, 'examples', 'reference-stack', 'hosts', 'agents.yml')).read()
        assert '    env_file: .env\n' in text
        if not with_env_file:
            text = text.replace('    env_file: .env\n', '')
        self.compose = self.dir / 'hosts' / 'agents.yml'
        self.compose.write_text(text.replace('${COMPOSE_PROJECT_NAME:-gpt371}', self.name))
        self.env = dict(guide_env(services), AGENT_COUNT=str(agent_count), API_HOST='127.0.0.1')
        assert not any("'" in v or '\n' in v for v in self.env.values())
        self.env_file = self.dir / '.env'
        self.env_file.write_text(''.join("%s='%s'\n" % kv for kv in self.env.items()))
        self.inventory = tmp_path / 'inventory.yml'
        self.inventory.write_text(json.dumps({'all': {'children': {'app': {'children': {'agents': {'hosts': {
            'localhost': {'ansible_connection': 'local',
                          'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}}}}}))

    def up(self):
        docker('compose', '-p', self.name, '--project-directory', str(self.dir), '-f', str(self.compose),
               'up', '-d')


@pytest.fixture
def agent_servers():
    made = []
    yield made
    for server in made:
        server.remove()


def _verify_agents(run_playbook, services, tmp_path, server):
    extra = {'verify_hosts': 'agents', 'verify_env_source': 'file', 'verify_env_file': str(server.env_file),
             'verify_services_env_file': str(server.env_file), 'verify_stack_project': server.name,
             'verify_ca_cert': services['ca_cert'], 'verify_report_dir': str(tmp_path / 'reports'),
             'verify_delay': 0.2}
    res = run_playbook(PLAYBOOK, extra_vars=extra, inventory=str(server.inventory))
    report = json.loads((tmp_path / 'reports' / 'integration-report.json').read_text())
    return res, report, {r['point']: r for r in report['rows']}


@needs_agents
def test_an_agent_running_without_its_env_fails_verify_naming_the_service(run_playbook, services, tmp_path,
                                                                          agent_servers):
    server = AgentServer(tmp_path, services, with_env_file=False, agent_count=2)
    agent_servers.append(server)
    server.up()
    assert len(server.ids()) == 2

    res, report, rows = _verify_agents(run_playbook, services, tmp_path, server)

    assert res.returncode != 0
    assert report['summary'] == {'total': 4, 'passed': 3, 'failed': 1, 'ok': False}, res.output[-3000:]
    assert rows['database']['ok'] and rows['storage']['ok'] and rows['xpipe']['ok'], 'the .env itself is right'
    row = rows['services']
    assert row['host'] == 'localhost' and row['reason'] == 'env_missing'
    assert row['likely_cause'].startswith('service agent-service on localhost runs without DB_HOST, DB_NAME, '
                                          'DB_PASSWORD, DB_PORT, DB_USER, STORAGE_')
    assert '%s-agent-service-1' % server.name in row['likely_cause']
    assert 'add `env_file: .env` to service agent-service' in row['fix']
    assert 'service agent-service on localhost runs without' in res.output, 'the play says it too'
    for key in ('DB_PASSWORD', 'STORAGE_SECRET_KEY', 'XPIPE_API_KEY'):
        assert server.env[key] not in res.output
    page = (tmp_path / 'reports' / 'integration-report.html').read_text()
    assert 'data-host="localhost" data-point="services" data-state="fail"' in page


@needs_agents
def test_an_agent_server_short_of_its_replicas_fails_verify_naming_the_count(
        run_playbook, services, tmp_path, agent_servers):
    server = AgentServer(tmp_path, services, with_env_file=True, agent_count=3)
    agent_servers.append(server)
    server.up()
    assert len(server.ids()) == 3
    res, report, rows = _verify_agents(run_playbook, services, tmp_path, server)
    assert res.returncode == 0, res.output[-3000:]
    assert rows['services']['ok'] and 'replicas:ok' in rows['services']['checks']

    docker('stop', '-t', '1', '%s-agent-service-3' % server.name)  # a replica that died
    res, report, rows = _verify_agents(run_playbook, services, tmp_path, server)

    assert res.returncode != 0
    assert report['summary'] == {'total': 4, 'passed': 3, 'failed': 1, 'ok': False}, res.output[-3000:]
    row = rows['services']
    assert row['reason'] == 'replicas' and row['failed_check'] == 'replicas'
    assert row['likely_cause'] == (
        'service agent-service on localhost runs 2 containers (%s-agent-service-1, %s-agent-service-2), '
        'AGENT_COUNT in the .env is 3' % (server.name, server.name))
    assert 'docker compose up -d' in row['fix']
    assert 'AGENT_COUNT in the .env is 3' in res.output
