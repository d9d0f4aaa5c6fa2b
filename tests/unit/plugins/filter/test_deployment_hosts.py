"""filter deployment_hosts: the inventory plugin's hosts from server_info records, as add_host needs them."""
import shlex

from ansible_collections.gpt371.infra.plugins.filter.deployment_hosts import FilterModule

deployment_hosts = FilterModule().filters()['deployment_hosts']

RECORDS = [  # openstack.cloud.server_info's shape: private_v4 / public_v4 computed by the SDK
    {'name': 'p-core', 'id': 'a', 'status': 'ACTIVE', 'private_v4': '10.0.0.2', 'public_v4': '198.51.100.4',
     'launched_at': '2026-12-05T10:00:00.000000', 'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'core', 'gpt371_groups': 'core,app'}},
    {'name': 'p-xpipe', 'id': 'b', 'status': 'ACTIVE', 'private_v4': '10.0.0.3', 'public_v4': '',
     'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'xpipe', 'gpt371_groups': 'xpipe,app'}},
]


def test_through_the_bastion_with_the_key_pinned_hosts_and_extra_ssh_args():
    found = deployment_hosts(RECORDS, 'p', ssh_args='-o ServerAliveInterval=5', key_file='/s/p_id',
                             known_hosts_file='/s/p_known_hosts')
    xpipe = shlex.split(found['hosts']['p-xpipe']['ansible_ssh_common_args'])
    assert xpipe[:2] == ['-o', 'ProxyCommand=ssh -W %h:%p -o BatchMode=yes -o ConnectTimeout=10 -i /s/p_id '
                               '-o IdentitiesOnly=yes -o StrictHostKeyChecking=yes '
                               '-o UserKnownHostsFile=/s/p_known_hosts -l root 198.51.100.4']
    assert xpipe[2:] == ['-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/s/p_known_hosts',
                         '-o', 'ServerAliveInterval=5']
    assert found['hosts']['p-core']['ansible_ssh_common_args'] == (
        '-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/s/p_known_hosts -o ServerAliveInterval=5')
    assert found['hosts']['p-core']['ansible_ssh_private_key_file'] == '/s/p_id'
    assert found['groups']['app'] == ['p-core', 'p-xpipe']
    assert found['host_keys'] == [{'name': 'p-core', 'id': 'a', 'addresses': ['10.0.0.2', '198.51.100.4'],
                                   'launched_at': '2026-12-05T10:00:00.000000'},
                                  {'name': 'p-xpipe', 'id': 'b', 'addresses': ['10.0.0.3'], 'launched_at': ''}]


def test_without_a_key_file_the_hop_uses_the_agent_and_checking_can_be_off():
    found = deployment_hosts(RECORDS, 'p', host_key_checking=False)
    xpipe = found['hosts']['p-xpipe']
    assert '-i ' not in xpipe['ansible_ssh_common_args'] and 'ansible_ssh_private_key_file' not in xpipe
    assert 'StrictHostKeyChecking=no' in xpipe['ansible_ssh_common_args']
    assert 'StrictHostKeyChecking=yes' not in xpipe['ansible_ssh_common_args']


def test_none_and_other_deployments_give_nothing():
    assert deployment_hosts(None, 'p')['hosts'] == {}
    assert deployment_hosts(RECORDS, 'q') == {'hosts': {}, 'groups': {}, 'not_active': [], 'errors': [],
                                              'host_keys': []}
