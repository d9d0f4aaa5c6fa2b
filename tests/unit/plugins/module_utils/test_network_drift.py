# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_state's comparisons: a reason exactly where openstack.cloud's network, subnet or router module would
change something for the network role's options, none where it would not."""
import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _network_drift as drift

TAGS = ['gpt371', 'deployment=d']
NET = {'id': 'n1', 'name': 'd-net', 'tags': list(TAGS)}
SUBNET = {'id': 's1', 'name': 'd-subnet', 'network_id': 'n1', 'cidr': '10.10.0.0/24', 'description': 'gpt371 d',
          'dns_nameservers': [], 'ip_version': 4, 'is_dhcp_enabled': True, 'tags': list(reversed(TAGS))}
ROUTER = {'id': 'r1', 'name': 'd-router', 'is_admin_state_up': True, 'tags': list(TAGS),
          'external_gateway_info': {'network_id': 'ext', 'enable_snat': True}}
DECLARED_NET = {'name': 'd-net', 'tags': TAGS}
DECLARED_SUBNET = {'name': 'd-subnet', 'cidr': '10.10.0.0/24', 'description': 'gpt371 d', 'dns_nameservers': [],
                   'tags': TAGS}
DECLARED_ROUTER = {'name': 'd-router', 'external_network': 'public', 'tags': TAGS}


def with_(base, **changes):
    return dict(base, **changes)


def test_as_declared_has_no_reason():
    assert drift.network_reasons([NET], DECLARED_NET) == []
    assert drift.subnet_reasons([SUBNET], NET, DECLARED_SUBNET) == []
    assert drift.router_reasons([ROUTER], ['s1'], SUBNET, 'ext', DECLARED_ROUTER) == []


def test_missing_resources_are_missing():
    assert drift.network_reasons([], DECLARED_NET) == ['missing']
    assert drift.subnet_reasons([SUBNET], None, DECLARED_SUBNET) == ['missing']
    # a subnet of that name on another network is not this deployment's
    assert drift.subnet_reasons([with_(SUBNET, network_id='other')], NET, DECLARED_SUBNET) == ['missing']
    assert drift.router_reasons([], [], None, 'ext', DECLARED_ROUTER) == ['missing']


def test_duplicates_are_named_so_the_module_says_which():
    assert drift.network_reasons([NET, with_(NET, id='n2')], DECLARED_NET) == ['2 networks are named d-net']
    assert drift.subnet_reasons([SUBNET, with_(SUBNET, id='s2')], NET, DECLARED_SUBNET) == [
        '2 subnets are named d-subnet']
    assert drift.the_one([NET, with_(NET, id='n2')], 'd-net') is None


@pytest.mark.parametrize('changes, reason', [
    ({'tags': ['gpt371']}, 'tags differ'),
    ({'cidr': '10.10.1.0/24'}, 'CIDR 10.10.1.0/24, declared 10.10.0.0/24'),
    ({'description': 'edited'}, 'description differs'),
    ({'ip_version': 6}, 'IP version 6'),
    ({'is_dhcp_enabled': False}, 'DHCP disabled'),
])
def test_subnet_reasons(changes, reason):
    assert drift.subnet_reasons([with_(SUBNET, **changes)], NET, DECLARED_SUBNET) == [reason]


def test_dns_servers_compare_sorted_and_only_when_declared():
    declared = with_(DECLARED_SUBNET, dns_nameservers=['10.0.0.3', '10.0.0.2'])
    assert drift.subnet_reasons([with_(SUBNET, dns_nameservers=['10.0.0.2', '10.0.0.3'])], NET, declared) == []
    assert drift.subnet_reasons([SUBNET], NET, declared) == ['DNS name servers differ']
    assert drift.subnet_reasons([with_(SUBNET, dns_nameservers=['10.0.0.9'])], NET, DECLARED_SUBNET) == []


def test_untagged_declaration_does_not_compare_tags():
    assert drift.network_reasons([with_(NET, tags=[])], {'name': 'd-net', 'tags': None}) == []


@pytest.mark.parametrize('router, interfaces, external, reasons', [
    (with_(ROUTER, is_admin_state_up=False), ['s1'], 'ext', ['administratively down']),
    (with_(ROUTER, external_gateway_info=None), ['s1'], 'ext', ['no external gateway']),
    (with_(ROUTER, external_gateway_info={'network_id': 'other'}), ['s1'], 'ext', ['gateway on another network']),
    (with_(ROUTER, external_gateway_info=None), ['s1'], '', []),  # no gateway declared: not compared
    (ROUTER, [], 'ext', ['not attached to the subnet']),
    (ROUTER, ['s1', 's9'], 'ext', ['attached to other subnets (s9)']),
    (with_(ROUTER, tags=[]), ['s1'], 'ext', ['tags differ']),
])
def test_router_reasons(router, interfaces, external, reasons):
    assert drift.router_reasons([router], interfaces, SUBNET, external, DECLARED_ROUTER) == reasons


def test_a_missing_subnet_leaves_the_router_to_attach():
    assert drift.router_reasons([ROUTER], [], None, 'ext', DECLARED_ROUTER) == ['not attached to the subnet']
