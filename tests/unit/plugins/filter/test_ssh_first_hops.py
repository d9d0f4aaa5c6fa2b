"""filter ssh_first_hops: the addresses the controller opens SSH to itself, and the message when one is closed."""
import pytest

from ansible_collections.gpt371.infra.plugins.filter.deployment_hosts import FilterModule as HostsFilters
from ansible_collections.gpt371.infra.plugins.filter.ssh_first_hops import FilterModule

deployment_hosts = HostsFilters().filters()['deployment_hosts']
ssh_first_hops = FilterModule().filters()['ssh_first_hops']

RECORDS = [
    {'name': 'p-core', 'id': 'a', 'status': 'ACTIVE', 'private_v4': '10.0.0.2', 'public_v4': '198.51.100.4',
     'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'core', 'gpt371_groups': 'core,app'}},
    {'name': 'p-xpipe', 'id': 'b', 'status': 'ACTIVE', 'private_v4': '10.0.0.3', 'public_v4': '',
     'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'xpipe', 'gpt371_groups': 'xpipe,app'}},
    {'name': 'p-kespa', 'id': 'c', 'status': 'ACTIVE', 'private_v4': '10.0.0.4', 'public_v4': '',
     'metadata': {'gpt371_deployment': 'p', 'gpt371_role': 'kespa', 'gpt371_groups': 'kespa,app'}},
]


def test_through_a_bastion_only_its_floating_ip_is_a_first_hop():
    hops = ssh_first_hops(deployment_hosts(RECORDS, 'p', access='bastion'), access='bastion', timeout=300)
    assert [(h['address'], h['hosts']) for h in hops] == [('198.51.100.4', ['p-core'])]
    message = hops[0]['closed_msg']
    assert "198.51.100.4 (the bastion's floating IP of p-core) on tcp/22 within 300 s" in message
    assert 'infra_access=bastion' in message and 'set infra_access=fixed_ip' in message


def test_fixed_ip_waits_for_every_host_and_names_the_bastion_alternative():
    hops = ssh_first_hops(deployment_hosts(RECORDS, 'p', access='fixed_ip'), access='fixed_ip')
    assert [h['address'] for h in hops] == ['10.0.0.2', '10.0.0.3', '10.0.0.4']
    assert hops[1]['hosts'] == ['p-xpipe']
    assert 'fixed IP of p-xpipe' in hops[1]['closed_msg']
    assert 'set infra_access=bastion to reach every server through the floating IP of core' in hops[1]['closed_msg']
    assert 'within' not in hops[1]['closed_msg']


def test_extra_ssh_args_do_not_hide_a_first_hop():
    found = deployment_hosts(RECORDS[:1], 'p', access='floating_ip', ssh_args='-o UserKnownHostsFile=/k')
    hops = ssh_first_hops(found, access='floating_ip', bastion_group='edge')
    assert [h['address'] for h in hops] == ['198.51.100.4']
    assert 'through the floating IP of edge' in hops[0]['closed_msg']


def test_nothing_found_gives_no_hop_and_a_wrong_access_is_named():
    assert ssh_first_hops({}, access='bastion') == []
    assert ssh_first_hops(None) == []
    with pytest.raises(ValueError, match='infra_access'):
        ssh_first_hops({}, access='vpn')


def test_extra_args_naming_a_proxy_do_not_hide_a_first_hop_but_the_bastion_mark_does():
    """Only the hosts module_utils/_mark.py marks as reached through the bastion (gpt371_bastion) are skipped."""
    found = deployment_hosts(RECORDS, 'p', access='bastion', ssh_args='-o ProxyJump=x@y')
    hops = ssh_first_hops(found, access='bastion')
    assert [h['address'] for h in hops] == ['198.51.100.4']
    assert found['hosts']['p-core'].get('gpt371_bastion') is None
    assert found['hosts']['p-xpipe']['gpt371_bastion'] == '198.51.100.4'
