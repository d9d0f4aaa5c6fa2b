# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the service-view comparison (module_utils/_service_env.py).

INSPECT and CONFIG were recorded with Docker 27 / Compose 2.40.3 from a three-service project (trimmed to the
fields the module reads): `api` has `env_file: .env` and overrides XPIPE_HOST in `environment:`; `agent` has no
env_file and takes three keys through `${VAR}`, so it runs without DB_PASSWORD; `worker` has `env_file: .env` and
was started before DB_PASSWORD changed in the .env (ENV_TEXT, modified at ENV_MTIME). The .env text is read with
the collection's dotenv filter (the reader the module's compose reading is held to by test_env_parity.py).
"""

import calendar
import copy
import json

import pytest

from ansible_collections.gpt371.infra.plugins.filter.dotenv import dotenv
from ansible_collections.gpt371.infra.plugins.module_utils import _service_env as senv

ENV_TEXT = 'DB_HOST=db\nDB_PASSWORD=new pw $$x\nSTORAGE_BUCKET=b\nXPIPE_HOST=127.0.0.1\nOTHER=1\n'
ENV_MTIME = calendar.timegm((2026, 12, 3, 12, 11, 7, 0, 0, 0)) + 0.913941978
LABELS = {'com.docker.compose.project': 'gpt371-senv-smoke',
          'com.docker.compose.project.config_files': '/tmp/senv-smoke/compose.yaml',
          'com.docker.compose.project.working_dir': '/tmp/senv-smoke'}
BASE = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'DEBIAN_FRONTEND=noninteractive',
        'PYTHONUNBUFFERED=1', 'PYTHONPATH=/usr/local/lib/gpt371']


def _container(cid, name, created, service, env):
    labels = dict(LABELS, **{'com.docker.compose.service': service})
    return {'Id': cid, 'Name': '/' + name, 'Created': created, 'Config': {'Env': env + BASE, 'Labels': labels}}


INSPECT = [
    _container('0ed95edf0ff40a8dc7ca768ebcdfad284cf3c6ede697b1da84f17ab66cee92fc', 'gpt371-senv-smoke-agent-1',
               '2026-12-03T12:11:08.347429073Z', 'agent', ['XPIPE_HOST=127.0.0.1', 'DB_HOST=db', 'STORAGE_BUCKET=b']),
    _container('93d376fb53cc22970f68975e0dcec170f6ea3602fd5924e6df166a8f4cd512c8', 'gpt371-senv-smoke-api-1',
               '2026-12-03T12:11:08.34517676Z', 'api',
               ['STORAGE_BUCKET=b', 'OTHER=1', 'XPIPE_HOST=xpipe', 'DB_HOST=db', 'DB_PASSWORD=new pw $x']),
    _container('04ee0fa2addc63776cbdc7b0f8f882ca3207391b1d4fb8429a33fef075b72d29', 'gpt371-senv-smoke-worker-1',
               '2026-12-03T12:11:05.930815633Z', 'worker',
               ['XPIPE_HOST=127.0.0.1', 'OTHER=1', 'DB_HOST=db', 'DB_PASSWORD=old pw $x', 'STORAGE_BUCKET=b']),
]
CONFIG = json.dumps({'services': {
    'agent': {'environment': {'DB_HOST': 'db', 'STORAGE_BUCKET': 'b', 'XPIPE_HOST': '127.0.0.1'}},
    'api': {'environment': {'DB_HOST': 'db', 'DB_PASSWORD': 'new pw $$x', 'OTHER': '1', 'STORAGE_BUCKET': 'b',
                            'XPIPE_HOST': 'xpipe'}},
    'worker': {'environment': {'DB_HOST': 'db', 'DB_PASSWORD': 'new pw $$x', 'OTHER': '1', 'STORAGE_BUCKET': 'b',
                               'XPIPE_HOST': '127.0.0.1'}}}})


def run(inspect=None, defined='config', **kwargs):
    env = dotenv(ENV_TEXT)
    kwargs.setdefault('env_mtime', ENV_MTIME)
    return senv.compare(env, INSPECT if inspect is None else inspect, senv.DEFAULT_KEYS, 'app-1',
                        defined=senv.config_environments(CONFIG) if defined == 'config' else defined, **kwargs)


def rows(result):
    return dict((r['service'], (r['missing'], r['stale'], r['ok'])) for r in result['services'])


def test_the_recorded_project_names_the_missing_and_the_stale_service():
    result = run()
    assert result['checked_keys'] == ['DB_HOST', 'DB_PASSWORD', 'STORAGE_BUCKET', 'XPIPE_HOST']  # OTHER is not selected
    assert rows(result) == {'agent': (['DB_PASSWORD'], [], False), 'api': ([], [], True),
                            'worker': ([], ['DB_PASSWORD'], False)}
    assert result['ok'] is False and result['reason'] == 'env_missing'
    assert result['failures'] == [
        'service agent on app-1 runs without DB_PASSWORD (container gpt371-senv-smoke-agent-1): its compose '
        'definition does not give it the .env: add `env_file: .env` to service agent and recreate it',
        'service worker on app-1 runs with a DB_PASSWORD older than the .env (container gpt371-senv-smoke-worker-1): '
        'recreate it (docker compose up -d, or the stack role) so it reads the .env again']
    # The probes' shape, for the integration report's row: cause, fix and one check per container.
    assert result['cause'] == (
        'service agent on app-1 runs without DB_PASSWORD (container gpt371-senv-smoke-agent-1); service worker on '
        'app-1 runs with a DB_PASSWORD older than the .env (container gpt371-senv-smoke-worker-1)')
    assert result['fix'] == (
        'its compose definition does not give it the .env: add `env_file: .env` to service agent and recreate it; '
        'recreate it (docker compose up -d, or the stack role) so it reads the .env again')
    assert [(c['name'], c['ok'], c['detail']) for c in result['checks']] == [
        ('service agent (gpt371-senv-smoke-agent-1)', False, 'without DB_PASSWORD'),
        ('service api (gpt371-senv-smoke-api-1)', True, 'holds the .env values of 4 keys'),
        ('service worker (gpt371-senv-smoke-worker-1)', False, 'stale DB_PASSWORD')]


def test_report_reads_the_result_as_a_probe_row():
    from ansible_collections.gpt371.infra.plugins.module_utils import _report
    rows = _report.build_rows([{'point': 'services', 'host': 'app-1', 'result': run()}])
    assert len(rows) == 1 and rows[0]['ok'] is False and rows[0]['reason'] == 'env_missing'
    assert rows[0]['likely_cause'].startswith('service agent on app-1 runs without DB_PASSWORD')
    assert rows[0]['fix'].startswith('its compose definition does not give it the .env')
    assert rows[0]['checks'] == ['service agent (gpt371-senv-smoke-agent-1):FAILED',
                                 'service api (gpt371-senv-smoke-api-1):ok',
                                 'service worker (gpt371-senv-smoke-worker-1):FAILED']


def test_no_value_leaves_the_comparison():
    text = json.dumps(run())
    for value in ('new pw', 'old pw', '127.0.0.1', '"db"'):
        assert value not in text


def test_environment_entries_of_the_definition_win_over_the_env_file():
    # api's XPIPE_HOST=xpipe differs from the .env's 127.0.0.1 on purpose: with the definition it is right ...
    assert rows(run())['api'] == ([], [], True)
    # ... and with the .env alone (compose files unreadable) it reads as stale.
    assert rows(run(defined=None))['api'] == ([], ['XPIPE_HOST'], False)


def test_stale_only_gives_env_stale_and_says_differs_when_the_container_is_newer():
    only_worker = [INSPECT[2]]
    result = run(only_worker)
    assert result['reason'] == 'env_stale'
    assert 'older than the .env' in result['failures'][0]
    result = run(only_worker, env_mtime=ENV_MTIME - 3600)  # .env changed before the container was created
    assert 'a DB_PASSWORD that differs from the .env' in result['failures'][0]
    result = run(only_worker, env_mtime=None)
    assert 'that differs from the .env' in result['failures'][0]


def test_all_in_order_is_ok():
    result = run([INSPECT[1]])
    assert result == {'ok': True, 'reason': None, 'checked_keys': result['checked_keys'], 'failures': [],
                      'services': [{'service': 'api', 'container': 'gpt371-senv-smoke-api-1',
                                    'created': '2026-12-03T12:11:08.34517676Z', 'missing': [], 'stale': [],
                                    'ok': True}],
                      'cause': '', 'fix': '',
                      'checks': [{'name': 'service api (gpt371-senv-smoke-api-1)', 'ok': True,
                                  'detail': 'holds the .env values of 4 keys'}]}


def test_services_limits_the_check():
    result = run(services=['api', 'worker'])
    assert sorted(rows(result)) == ['api', 'worker']
    assert result['reason'] == 'env_stale'


def test_replicas_with_the_same_finding_share_one_message():
    bare = []
    for number in (1, 2, 3):
        item = copy.deepcopy(INSPECT[0])
        item['Name'] = '/gpt371-agent-service-%d' % number
        item['Config']['Env'] = list(BASE)
        item['Config']['Labels']['com.docker.compose.service'] = 'agent-service'
        bare.append(item)
    result = run(bare, defined={'agent-service': {'AGENT_INTERVAL': '2'}})
    assert len(result['services']) == 3
    assert result['failures'] == [
        'service agent-service on app-1 runs without DB_HOST, DB_PASSWORD, STORAGE_BUCKET, XPIPE_HOST (containers '
        'gpt371-agent-service-1, gpt371-agent-service-2, gpt371-agent-service-3): its compose definition does not '
        'give it the .env: add `env_file: .env` to service agent-service and recreate it']


def test_a_definition_that_gives_the_env_now_asks_for_a_recreate_and_unknown_one_for_both():
    before = copy.deepcopy(INSPECT[0])  # agent, created before its definition got env_file
    defined = senv.config_environments(CONFIG)
    defined['agent'] = dict(defined['worker'])
    assert 'its definition gives it the .env now: recreate it' in run([before], defined=defined)['failures'][0]
    assert 'give it the .env (`env_file: .env`) and recreate it' in run([before], defined=None)['failures'][0]


def test_empty_values_count_as_held_and_the_last_duplicate_wins():
    assert senv.container_env(['A=', 'B', 'C=1=2', 'A=x']) == {'A': 'x', 'C': '1=2'}
    env = {'DB_PASSWORD': ''}
    item = _container('1' * 64, 'c', '2026-12-03T12:00:00Z', 's', ['DB_PASSWORD='])
    assert senv.compare(env, [item], ['DB_*'], 'h')['ok'] is True
    item['Config']['Env'] = []
    assert senv.compare(env, [item], ['DB_*'], 'h')['services'][0]['missing'] == ['DB_PASSWORD']


def test_config_environments_undoes_the_dollar_escape_and_drops_unset_keys():
    text = json.dumps({'services': {'a': {'environment': {'X': 'a$$b$$$$c', 'Y': None}}, 'b': {}}})
    assert senv.config_environments(text) == {'a': {'X': 'a$b$$c'}, 'b': {}}
    assert senv.config_environments(json.dumps({'services': {'a': {'environment': ['K=v=w']}}})) == \
        {'a': {'K': 'v=w'}}


def test_the_reader_compose_file_reads_only_the_env_file():
    data = json.loads(senv.reader_compose('/opt/371gpt/.env'))
    assert data == {'services': {senv.READER_SERVICE: {'image': 'scratch', 'env_file': ['/opt/371gpt/.env']}}}


@pytest.mark.parametrize('keys,ok', [
    (['DB_*'], True), (['DB_PASSWORD', 'XPIPE_?'], True), (['STORAGE_[AS]*'], True),
    ([], False), (['DB PASSWORD'], False), (['$DB'], False), ([''], False)])
def test_key_errors(keys, ok):
    errors = senv.key_errors(keys)
    assert (errors == []) is ok
    if not ok:
        assert errors[0].startswith('keys')


def test_select_is_case_sensitive_and_sorted():
    assert senv.select(['db_host', 'XPIPE_PORT', 'DB_HOST', 'STORAGE_X', 'AGENT_COUNT'], senv.DEFAULT_KEYS) == \
        ['DB_HOST', 'STORAGE_X', 'XPIPE_PORT']


def test_scrub_masks_values_and_keeps_short_ones():
    assert senv.scrub('pw s3cret! at db', ['s3cret!', 'db', '']) == 'pw ******** at db'


def test_reader_error_names_the_line_never_the_content():
    err = 'failed to read /opt/.env: line 7: unexpected character "\'" in variable name "hunter2\'x"'
    msg = senv.reader_error(err, '/opt/.env', 'app-1')
    assert '(line 7)' in msg and 'hunter2' not in msg and msg.startswith('docker compose cannot read the .env')


def test_project_files_from_the_labels():
    assert senv.project_files(INSPECT) == ('/tmp/senv-smoke', ['/tmp/senv-smoke/compose.yaml'], [])
    item = copy.deepcopy(INSPECT[0])
    item['Config']['Labels']['com.docker.compose.project.config_files'] = '/a/compose.yml,/a/hosts/agents.yml'
    item['Config']['Labels']['com.docker.compose.project.environment_file'] = '/a/.env'
    assert senv.project_files([item]) == ('/tmp/senv-smoke', ['/a/compose.yml', '/a/hosts/agents.yml'], ['/a/.env'])
    assert senv.project_files([{'Config': {'Labels': {}}}]) == (None, [], [])


@pytest.mark.parametrize('created,epoch', [
    ('2026-12-03T12:11:05.930815633Z', calendar.timegm((2026, 12, 3, 12, 11, 5, 0, 0, 0)) + 0.930815633),
    ('2026-12-03T12:11:05Z', calendar.timegm((2026, 12, 3, 12, 11, 5, 0, 0, 0))),
    ('2026-12-03T14:11:05+02:00', calendar.timegm((2026, 12, 3, 12, 11, 5, 0, 0, 0))),
    ('', None), ('yesterday', None)])
def test_created_epoch(created, epoch):
    got = senv.created_epoch(created)
    assert got == (None if epoch is None else pytest.approx(epoch, abs=1e-6))


def test_the_env_read_in_python_resolves_with_the_docker_clis_environment_only():
    from ansible_collections.gpt371.infra.plugins.module_utils import _service_env_check as check

    environ = {'PATH': '/bin', 'HOME': '/root', 'DOCKER_CONFIG': '/cfg', 'DB_PASSWORD': 'from-the-shell'}
    kept = check.reader_environment('unix:///run/other.sock', environ)
    assert kept == {'PATH': '/bin', 'HOME': '/root', 'DOCKER_CONFIG': '/cfg', 'DOCKER_HOST': 'unix:///run/other.sock'}
    assert check.reader_environment(None, {})['PATH'].startswith('/usr/local/sbin:')
    text = 'DB_HOST=db\nDB_URL=postgres://${DB_HOST}/x\nDB_PASSWORD=${DB_PASSWORD:-none}\nP=$$x\n'
    env = check.env_from_text(text)
    # The shell's DB_PASSWORD never reaches compose (`env -i`): neither here.
    assert env == {'DB_HOST': 'db', 'DB_URL': 'postgres://db/x', 'DB_PASSWORD': 'none', 'P': '$x'}
    assert check.env_from_text('KEY="unterminated\n') is None  # compose reads it then, and names the line
    assert check.env_from_text(None) is None
