"""filter deployment_hosts: the inventory plugin's hosts from server_info records, as add_host needs them."""
from ansible_collections.gpt371.infra.plugins.filter.deployment_hosts import FilterModule

deployment_hosts = FilterModule().filters()['deployment_hosts']

RECORDS = [  # openstack.cloud.server_info's shape: private_v4 / public_v4 computed by the SDK
    {'name': 'p-core', 'id': 'a', 'status': 'ACTIVE', 'private_v4': '10.0.0.2', 'public_v4': '198.51.100.4',
     'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'core', 'gpt371_groups': 'core,app'}},
    {'name': 'p-xpipe', 'id': 'b', 'status': 'ACTIVE', 'private_v4': '10.0.0.3', 'public_v4': '',
     'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'xpipe', 'gpt371_groups': 'xpipe,app'}},
]


def test_through_the_bastion_with_extra_ssh_args():
    found = deployment_hosts(RECORDS, 'p', ssh_args='-o UserKnownHostsFile=/k')
    assert found['hosts']['p-xpipe']['ansible_ssh_common_args'] == (
        '-o ProxyJump=root@198.51.100.4 -o UserKnownHostsFile=/k')
    assert found['hosts']['p-core']['ansible_ssh_common_args'] == '-o UserKnownHostsFile=/k'
    assert found['groups']['app'] == ['p-core', 'p-xpipe']


def test_none_and_other_deployments_give_nothing():
    assert deployment_hosts(None, 'p')['hosts'] == {}
    assert deployment_hosts(RECORDS, 'q') == {'hosts': {}, 'groups': {}, 'not_active': [], 'errors': []}
