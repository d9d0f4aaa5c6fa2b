"""secgroup_state: which declared groups openstack.cloud.security_group would change, from one listing.

recordings/lab_security_groups.json: the four groups of a lab deployment (gpt371-dbg) as security_group_info listed
them after site.yml (rules reduced to the fields Neutron's API returns that the module compares).
"""
import copy
import json
import os

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _secgroup_apply as sa

HERE = os.path.dirname(__file__)
CIDR, ADMIN = '10.177.33.0/24', '172.24.4.0/24'
TAGS = ['gpt371', 'deployment=gpt371-dbg']
COMMON = [{'direction': 'egress', 'ether_type': 'IPv4', 'protocol': 'any'},
          {'direction': 'egress', 'ether_type': 'IPv6', 'protocol': 'any'}]


def tcp(port, prefix, **extra):
    return dict({'protocol': 'tcp', 'port_range_min': port, 'port_range_max': port, 'remote_ip_prefix': prefix},
                **extra)


WANTED = [
    {'name': 'gpt371-dbg-db', 'description': 'PostgreSQL (Supabase) from the private subnet only',
     'rules': [tcp(5432, CIDR)]},
    {'name': 'gpt371-dbg-xpipe', 'description': 'XPipe API from the private subnet only', 'rules': [tcp(8080, CIDR)]},
    {'name': 'gpt371-dbg-ssh', 'description': 'SSH from the admin network',
     'rules': [tcp(22, ADMIN), tcp(22, CIDR)]},
    {'name': 'gpt371-dbg-api', 'description': 'Public API (HTTPS) from anywhere',
     'rules': [tcp(443, '0.0.0.0/0'), tcp(443, '::/0', ether_type='IPv6')]},
]


@pytest.fixture
def found():
    with open(os.path.join(HERE, 'recordings', 'lab_security_groups.json'), encoding='utf-8') as fh:
        return json.load(fh)


def state(found, wanted=None, common=None):
    return sa.secgroup_state(found, WANTED if wanted is None else wanted, COMMON if common is None else common, TAGS)


def group(found, name):
    (match,) = [g for g in found if g['name'] == name]
    return match


def test_the_groups_as_site_yml_left_them_need_no_call(found):
    result = state(found)
    assert result['to_apply'] == [] and result['reasons'] == {}
    assert result['descriptions']['gpt371-dbg-db'] == \
        'PostgreSQL (Supabase) from the private subnet only (gpt371 deployment=gpt371-dbg)'


def test_a_missing_group_is_applied(found):
    result = state([g for g in found if g['name'] != 'gpt371-dbg-xpipe'])
    assert result['to_apply'] == ['gpt371-dbg-xpipe'] and result['reasons'] == {'gpt371-dbg-xpipe': 'missing'}


def test_a_rule_opened_by_hand_is_applied_and_only_its_group(found):
    ssh = group(found, 'gpt371-dbg-ssh')
    ssh['security_group_rules'].append(dict(ssh['security_group_rules'][0], id='by-hand', remote_ip_prefix='0.0.0.0/0'))
    result = state(found)
    assert result['to_apply'] == ['gpt371-dbg-ssh'] and result['reasons']['gpt371-dbg-ssh'] == '1 rule(s) not declared'


def test_a_deleted_rule_is_applied(found):
    xpipe = group(found, 'gpt371-dbg-xpipe')
    xpipe['security_group_rules'] = [r for r in xpipe['security_group_rules'] if r['port_range_min'] != 8080]
    assert state(found)['reasons'] == {'gpt371-dbg-xpipe': 'a declared rule is missing'}


def test_a_deleted_default_egress_rule_is_applied(found):
    db = group(found, 'gpt371-dbg-db')
    db['security_group_rules'] = [r for r in db['security_group_rules'] if r['ethertype'] != 'IPv6']
    assert state(found)['to_apply'] == ['gpt371-dbg-db']


@pytest.mark.parametrize('change', [
    {'port_range_max': 5433}, {'remote_ip_prefix': '10.177.0.0/16'}, {'ethertype': 'IPv6'}, {'protocol': 'udp'},
    {'direction': 'egress'}, {'project_id': 'another-project'},
])
def test_a_changed_rule_is_applied(found, change):
    db = group(found, 'gpt371-dbg-db')
    (rule,) = [r for r in db['security_group_rules'] if r['protocol'] == 'tcp']
    rule.update(change)
    assert state(found)['to_apply'] == ['gpt371-dbg-db'], change


def test_a_changed_description_is_applied(found):
    group(found, 'gpt371-dbg-api')['description'] = 'edited by hand'
    assert state(found)['reasons'] == {'gpt371-dbg-api': 'description differs'}


def test_a_new_declared_rule_is_applied(found):
    wanted = copy.deepcopy(WANTED)
    wanted[1]['rules'].append(tcp(8081, CIDR))
    assert state(found, wanted)['to_apply'] == ['gpt371-dbg-xpipe']


def test_dropping_the_common_rules_applies_every_group(found):
    assert state(found, common=[])['to_apply'] == [g['name'] for g in WANTED]


def test_a_remote_group_rule_matches_by_the_groups_id(found):
    db = group(found, 'gpt371-dbg-db')
    xpipe = group(found, 'gpt371-dbg-xpipe')
    wanted = copy.deepcopy(WANTED)
    wanted[0]['rules'].append({'protocol': 'tcp', 'port_range_min': 5432, 'port_range_max': 5432,
                               'remote_group': 'gpt371-dbg-xpipe'})
    assert state(found, wanted)['to_apply'] == ['gpt371-dbg-db']  # not there yet
    db['security_group_rules'].append({'id': 'rg', 'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'tcp',
                                       'port_range_min': 5432, 'port_range_max': 5432, 'remote_ip_prefix': None,
                                       'remote_group_id': xpipe['id'], 'project_id': db['project_id'],
                                       'security_group_id': db['id'], 'description': ''})
    assert state(found, wanted)['to_apply'] == []
    wanted[0]['rules'][-1]['remote_group'] = 'gpt371-dbg-unknown'
    assert state(found, wanted)['reasons'] == {'gpt371-dbg-db': 'remote group gpt371-dbg-unknown not found'}


def test_a_full_tcp_range_matches_a_rule_without_ports():
    proto = sa.rule_prototype({'protocol': 'tcp', 'port_range_min': 1, 'port_range_max': 65535},
                              {'id': 'g', 'project_id': 'p'}, {})
    rule = {'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'tcp', 'port_range_min': None,
            'port_range_max': None, 'remote_ip_prefix': None, 'project_id': 'p', 'security_group_id': 'g'}
    assert sa.rule_matches(proto, rule)
    assert not sa.rule_matches(proto, dict(rule, port_range_min=1, port_range_max=65535))


def test_two_groups_of_one_name_are_left_to_the_module(found):
    twin = dict(group(found, 'gpt371-dbg-db'), id='twin')
    assert state(found + [twin])['reasons'] == {'gpt371-dbg-db': '2 groups of this name'}
