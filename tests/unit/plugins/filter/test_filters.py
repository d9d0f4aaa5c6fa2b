"""Filters: dotenv parses what docker compose reads and never echoes a bad line; probes_pass judges as the report."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gpt371.infra.plugins.filter.dotenv import dotenv
from ansible_collections.gpt371.infra.plugins.filter.probes_pass import probes_pass
from ansible_collections.gpt371.infra.plugins.filter.server_summary import server_summary


def test_dotenv_reads_compose_syntax():
    text = '# comment\n\nDB_HOST=10.0.0.12\nexport DB_PORT = 5432\nDB_PASSWORD="s3cr=t"\nEMPTY=\nQ=\'x y\'\n'
    assert dotenv(text) == {'DB_HOST': '10.0.0.12', 'DB_PORT': '5432', 'DB_PASSWORD': 's3cr=t', 'EMPTY': '',
                            'Q': 'x y'}


def test_dotenv_error_names_the_line_not_its_content():
    with pytest.raises(AnsibleFilterError) as err:
        dotenv('DB_HOST=x\nthis is secret-value\n')
    assert 'line 2' in str(err.value) and 'secret-value' not in str(err.value)


def test_server_summary():
    server = {'name': 'demo-xpipe', 'status': 'ACTIVE', 'addresses': {'demo-net': [{'addr': '10.0.0.5'}]}, 'id': 'x'}
    assert server_summary(server) == {'name': 'demo-xpipe', 'status': 'ACTIVE', 'networks': ['demo-net'],
                                      'role': None, 'fault': ''}
    broken = dict(server, status='ERROR', fault={'code': 500, 'message': 'No valid host was found.'},
                  metadata={'gpt371_role': 'agent', 'gpt371_deployment': 'demo'})
    assert server_summary(broken) == {'name': 'demo-xpipe', 'status': 'ERROR', 'networks': ['demo-net'],
                                      'role': 'agent', 'fault': 'No valid host was found.'}
    assert server_summary(server_summary(broken)) == server_summary(broken), 'a reduced record stays the same'


PASSED = {'ok': True, 'checks': [{'name': 'connect', 'ok': True}]}
FAILED = {'ok': False, 'failed_check': 'connect', 'reason': 'refused', 'cause': 'nothing listens'}
BOTH = {'database': PASSED, 'storage': PASSED}


@pytest.mark.parametrize('results, probes, expected', [
    ({'a': {'probes': BOTH}, 'b': {'probes': BOTH}}, [], True),
    ({'a': {'probes': dict(BOTH, storage=FAILED)}, 'b': {'probes': BOTH}}, [], False),
    # b did not report (unreachable, failed before its probes): the report has "did not run" rows for it.
    ({'a': {'probes': BOTH}}, [], False),
    # a point skipped while it was wanted, and a .env lacking keys, fail as in the report.
    ({'a': {'probes': dict(BOTH, storage={'skipped': True})}, 'b': {'probes': BOTH}}, [], False),
    ({'a': {'probes': BOTH, 'env_missing': ['DB_HOST']}, 'b': {'probes': BOTH}}, [], False),
    # a probe from the controller (the public API) counts too.
    ({'a': {'probes': BOTH}, 'b': {'probes': BOTH}},
     [{'point': 'api (external)', 'host': 'controller', 'result': FAILED}], False),
])
def test_probes_pass_judges_like_the_report(results, probes, expected):
    assert probes_pass(results, hosts=['a', 'b'], points=['database', 'storage'], probes=probes) is expected
