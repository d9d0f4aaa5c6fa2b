"""Filters: dotenv parses what docker compose reads and never echoes a bad line."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gpt371.infra.plugins.filter.dotenv import dotenv
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
