"""module_utils/_mark.py: the deployment mark and the hosts a deployment's servers become."""
import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _mark


def server(name, role, groups, fixed, floating=None, status='ACTIVE', deployment='prod', fault=None):
    addresses = [{'addr': fixed, 'version': 4, 'OS-EXT-IPS:type': 'fixed'}]
    if floating:
        addresses.append({'addr': floating, 'version': 4, 'OS-EXT-IPS:type': 'floating'})
    record = {'name': name, 'id': name + '-id', 'status': status, 'addresses': {'prod-net': addresses},
              'metadata': _mark.metadata(deployment, role, groups)}
    if fault:
        record['fault'] = {'message': fault}
    return record


SERVERS = [
    server('prod-core', 'core', ['core', 'app'], '10.0.0.5', '203.0.113.7'),
    server('prod-supabase', 'supabase', ['database'], '10.0.0.6'),
    server('prod-agent-server-0', 'agent', ['agents', 'app'], '10.0.0.7'),
    server('other-core', 'core', ['core', 'app'], '10.1.0.5', '203.0.113.8', deployment='other'),
]


def test_mark_shapes():
    assert _mark.tags('prod') == ['gpt371', 'deployment=prod']
    assert _mark.metadata('prod', 'agent', ['agents', 'app']) == {
        'gpt371_deployment': 'prod', 'gpt371_role': 'agent', 'gpt371_groups': 'agents,app'}


def test_bastion_reaches_core_at_its_floating_ip_and_the_rest_through_it():
    found = _mark.hosts_from_servers(SERVERS, 'prod')
    assert found['errors'] == [] and found['not_active'] == []
    assert sorted(found['hosts']) == ['prod-agent-server-0', 'prod-core', 'prod-supabase']
    core, db = found['hosts']['prod-core'], found['hosts']['prod-supabase']
    assert core['ansible_host'] == '203.0.113.7' and 'gpt371_bastion' not in core
    assert core['ansible_ssh_common_args'] == '-o StrictHostKeyChecking=yes'
    assert db['ansible_host'] == '10.0.0.6' and db['gpt371_bastion'] == '203.0.113.7'
    assert db['ansible_ssh_common_args'].startswith(
        "-o 'ProxyCommand=ssh -W %h:%p -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes "
        "-l root 203.0.113.7'")
    assert found['groups'] == {'core': ['prod-core'], 'app': ['prod-agent-server-0', 'prod-core'],
                               'database': ['prod-supabase'], 'agents': ['prod-agent-server-0']}
    # Every host's first connection also opens one to the bastion's sshd (MaxStartups): a dropped one is retried.
    assert {host['ansible_ssh_retries'] for host in found['hosts'].values()} == {3}


def test_fixed_and_floating_access():
    fixed = _mark.hosts_from_servers(SERVERS, 'prod', access='fixed_ip', ssh_args='-o A=b')
    assert fixed['hosts']['prod-core']['ansible_host'] == '10.0.0.5'
    assert fixed['hosts']['prod-core']['ansible_ssh_common_args'] == '-o StrictHostKeyChecking=yes -o A=b'
    floating = _mark.hosts_from_servers(SERVERS, 'prod', access='floating_ip')
    assert floating['hosts']['prod-core']['ansible_host'] == '203.0.113.7'
    assert 'ansible_ssh_retries' not in floating['hosts']['prod-core']  # no shared sshd in between
    assert [e.split(' has ')[0] for e in floating['errors']] == [
        'access floating_ip: server prod-agent-server-0', 'access floating_ip: server prod-supabase']
    assert 'bastion' in floating['errors'][0]


def test_bastion_without_floating_ip_names_the_options():
    found = _mark.hosts_from_servers(SERVERS[1:3], 'prod')
    (error,) = found['errors']
    assert "group 'core'" in error and 'floating_ip' in error and 'fixed_ip' in error


def test_not_active_servers_are_listed_not_hosts():
    servers = SERVERS + [server('prod-kespa', 'kespa', ['kespa', 'app'], '10.0.0.8', status='ERROR',
                                fault='No valid host was found')]
    found = _mark.hosts_from_servers(servers, 'prod')
    assert 'prod-kespa' not in found['hosts'] and 'kespa' not in found['groups']
    assert found['not_active'] == [{'name': 'prod-kespa', 'status': 'ERROR', 'fault': 'No valid host was found'}]


def test_unknown_access_is_refused():
    (error,) = _mark.hosts_from_servers(SERVERS, 'prod', access='vpn')['errors']
    assert 'bastion, floating_ip, fixed_ip' in error


@pytest.mark.parametrize('record, expected', [
    ({'private_v4': '10.0.0.9', 'addresses': {}}, '10.0.0.9'),
    ({'addresses': {'n': [{'addr': 'fd00::1', 'version': 6, 'OS-EXT-IPS:type': 'fixed'},
                          {'addr': '10.0.0.3', 'version': 4, 'OS-EXT-IPS:type': 'fixed'}]}}, '10.0.0.3'),
    ({}, ''),
])
def test_private_v4(record, expected):
    assert _mark.private_v4(record) == expected
