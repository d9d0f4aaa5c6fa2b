# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of secgroup_check's rule logic (no cloud: rules are Neutron-shaped dicts)."""

import ipaddress

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils._secgroup_rules import (
    RuleError, at_or_above, audit_group, audit_server, cidr_contains, exposed_ports, normalize_cidr,
    normalize_ports, normalize_protocol, normalize_rule, rule_contains, sort_findings, summarize)

PRIVATE = '10.10.0.0/24'


def neutron(protocol='tcp', pmin=None, pmax=None, prefix=None, group=None, direction='ingress',
            ethertype='IPv4', rule_id='r1'):
    """A rule as Neutron returns it."""
    return {'id': rule_id, 'direction': direction, 'ethertype': ethertype, 'protocol': protocol,
            'port_range_min': pmin, 'port_range_max': pmax, 'remote_ip_prefix': prefix,
            'remote_group_id': group}


def kinds(findings):
    return sorted((f['severity'], f['kind']) for f in findings)


# -- normalisation -----------------------------------------------------------------------------

@pytest.mark.parametrize('raw, expected', [
    ('10.0.0.5', '10.0.0.5/32'),
    ('10.0.0.5/32', '10.0.0.5/32'),
    ('10.0.0.5/24', '10.0.0.0/24'),
    ('fd00::1', 'fd00::1/128'),
    ('FD00:0:0::/64', 'fd00::/64'),
    ('0.0.0.0/0', '0.0.0.0/0'),
])
def test_normalize_cidr(raw, expected):
    assert str(normalize_cidr(raw)) == expected


def test_bare_address_equals_host_prefix():
    assert normalize_cidr('10.0.0.5') == normalize_cidr('10.0.0.5/32')
    assert rule_contains(normalize_rule(neutron(pmin=22, pmax=22, prefix='10.0.0.5')),
                         normalize_rule(neutron(pmin=22, pmax=22, prefix='10.0.0.5/32')))
    assert rule_contains(normalize_rule(neutron(pmin=22, pmax=22, prefix='10.0.0.5/32')),
                         normalize_rule(neutron(pmin=22, pmax=22, prefix='10.0.0.5')))


def test_invalid_cidr_is_a_rule_error():
    with pytest.raises(RuleError, match='invalid remote_ip_prefix'):
        normalize_cidr('10.0.0.300/24')


@pytest.mark.parametrize('raw, expected', [
    (None, None), ('any', None), ('ANY', None), ('0', None), (0, None),
    ('tcp', 'tcp'), ('6', 'tcp'), (6, 'tcp'), ('17', 'udp'), ('1', 'icmp'),
    ('icmpv6', 'ipv6-icmp'), ('58', 'ipv6-icmp'), ('gre', 'gre'), ('112', '112'),
])
def test_normalize_protocol(raw, expected):
    assert normalize_protocol(raw) == expected


def test_protocol_number_out_of_range():
    with pytest.raises(RuleError):
        normalize_protocol('300')


@pytest.mark.parametrize('protocol, pmin, pmax, expected', [
    ('tcp', None, None, (None, None)),
    ('tcp', 1, 65535, (None, None)),
    ('tcp', -1, -1, (None, None)),
    ('tcp', 5432, 5432, (5432, 5432)),
    ('tcp', 5432, None, (5432, 65535)),
    ('udp', None, 53, (1, 53)),
    (None, 22, 22, (None, None)),
    ('icmp', -1, -1, (None, None)),
    ('icmp', 8, None, (8, None)),
])
def test_normalize_ports(protocol, pmin, pmax, expected):
    assert normalize_ports(protocol, pmin, pmax) == expected


def test_inverted_port_range_is_an_error():
    with pytest.raises(RuleError, match='greater than'):
        normalize_ports('tcp', 9000, 8000)


def test_missing_remote_means_the_whole_family():
    assert str(normalize_rule(neutron(pmin=443, pmax=443))['remote_cidr']) == '0.0.0.0/0'
    assert str(normalize_rule(neutron(pmin=443, pmax=443, ethertype='IPv6'))['remote_cidr']) == '::/0'


def test_declared_ethertype_follows_cidr_and_conflicts_are_errors():
    assert normalize_rule({'port': 22, 'protocol': 'tcp', 'remote_ip_prefix': 'fd00::/64'},
                          declared=True)['ethertype'] == 'IPv6'
    with pytest.raises(RuleError, match='does not match'):
        normalize_rule({'port': 22, 'protocol': 'tcp', 'remote_ip_prefix': '10.0.0.0/8',
                        'ethertype': 'IPv6'}, declared=True)


def test_declared_port_and_range_are_exclusive_and_any_cannot_have_ports():
    with pytest.raises(RuleError, match='either port'):
        normalize_rule({'port': 22, 'port_range_min': 22, 'protocol': 'tcp'}, declared=True)
    with pytest.raises(RuleError, match='protocol any'):
        normalize_rule({'port': 22, 'protocol': 'any'}, declared=True)


# -- containment -------------------------------------------------------------------------------

@pytest.mark.parametrize('outer, inner, expected', [
    ('10.0.0.0/8', '10.10.0.0/24', True),
    ('10.10.0.0/24', '10.10.0.7', True),
    ('10.10.0.0/24', '10.10.1.7', False),
    ('10.10.0.0/24', '10.0.0.0/8', False),
    ('10.10.0.0/24', '10.10.0.0/24', True),
    ('0.0.0.0/0', '192.0.2.1', True),
    ('0.0.0.0/0', '::/0', False),
    ('::/0', '0.0.0.0/0', False),
    ('fd00::/8', 'fd12:3456::/48', True),
    ('fd12:3456::/48', 'fd00::/8', False),
    ('::/0', 'fd00::1', True),
    ('2001:db8::/32', '2001:db9::/32', False),
])
def test_cidr_containment_v4_and_v6(outer, inner, expected):
    assert cidr_contains(outer, inner) is expected


@pytest.mark.parametrize('outer, inner, expected', [
    (neutron(pmin=5000, pmax=6000), neutron(pmin=5432, pmax=5432), True),
    (neutron(pmin=5432, pmax=5432), neutron(pmin=5000, pmax=6000), False),
    (neutron(), neutron(pmin=5432, pmax=5432), True),                         # tcp without ports = all
    (neutron(pmin=5432, pmax=5432), neutron(), False),
    (neutron(pmin=1, pmax=65535), neutron(), True),                           # 1-65535 == None
    (neutron(protocol=None), neutron(pmin=5432, pmax=5432), True),            # any protocol
    (neutron(protocol=None), neutron(protocol='udp', pmin=53, pmax=53), True),
    (neutron(protocol=None), neutron(protocol='icmp'), True),
    (neutron(protocol='tcp'), neutron(protocol=None), False),
    (neutron(protocol='udp'), neutron(pmin=53, pmax=53), False),              # udp does not cover tcp
    (neutron(protocol='icmp'), neutron(protocol='icmp', pmin=8, pmax=0), True),
    (neutron(protocol='icmp', pmin=8, pmax=0), neutron(protocol='icmp'), False),
])
def test_port_and_protocol_containment(outer, inner, expected):
    assert rule_contains(normalize_rule(outer), normalize_rule(inner)) is expected


def test_direction_ethertype_and_remote_group_containment():
    tcp22 = dict(pmin=22, pmax=22)
    assert not rule_contains(normalize_rule(neutron(direction='egress', **tcp22)), normalize_rule(neutron(**tcp22)))
    assert not rule_contains(normalize_rule(neutron(ethertype='IPv6', **tcp22)), normalize_rule(neutron(**tcp22)))
    by_group = normalize_rule(neutron(group='sg-a', **tcp22))
    assert rule_contains(by_group, normalize_rule(neutron(group='sg-a', **tcp22)))
    assert not rule_contains(by_group, normalize_rule(neutron(group='sg-b', **tcp22)))
    assert not rule_contains(by_group, normalize_rule(neutron(prefix=PRIVATE, **tcp22)))
    assert rule_contains(normalize_rule(neutron(**tcp22)), by_group)           # the world covers a group
    assert not rule_contains(normalize_rule(neutron(prefix=PRIVATE, **tcp22)), by_group)


# -- exposures ---------------------------------------------------------------------------------

def test_exposed_ports():
    sensitive = [5432, 22, 8080]
    assert exposed_ports(normalize_rule(neutron(pmin=5432, pmax=5432, prefix='0.0.0.0/0')), sensitive) == [5432]
    assert exposed_ports(normalize_rule(neutron(pmin=5432, pmax=5432)), sensitive) == [5432]  # no remote = world
    assert exposed_ports(normalize_rule(neutron(protocol=None)), sensitive) == [22, 5432, 8080]
    assert exposed_ports(normalize_rule(neutron(pmin=1, pmax=1024, prefix='::/0', ethertype='IPv6')),
                         sensitive) == [22]
    assert exposed_ports(normalize_rule(neutron(pmin=5432, pmax=5432, prefix=PRIVATE)), sensitive) == []
    assert exposed_ports(normalize_rule(neutron(pmin=443, pmax=443)), sensitive) == []
    assert exposed_ports(normalize_rule(neutron(protocol='icmp')), sensitive) == []
    assert exposed_ports(normalize_rule(neutron(pmin=5432, pmax=5432, direction='egress')), sensitive) == []


def test_5432_open_to_the_world_is_critical_with_an_exact_removal():
    rules = [neutron(pmin=5432, pmax=5432, prefix=PRIVATE, rule_id='ok'),
             neutron(pmin=5432, pmax=5432, prefix='0.0.0.0/0', rule_id='bad')]
    findings = audit_group('db', rules, [{'port': 5432, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}])
    assert kinds(findings) == [('critical', 'sensitive_port_exposed')]
    f = findings[0]
    assert f['group'] == 'db' and f['rule']['id'] == 'bad' and '5432' in f['detail']
    assert f['rule']['remote_ip_prefix'] == '0.0.0.0/0'
    assert f['fix'] == {'openstack.cloud.security_group_rule': {
        'security_group': 'db', 'direction': 'ingress', 'ether_type': 'IPv4', 'protocol': 'tcp',
        'port_range_min': 5432, 'port_range_max': 5432, 'remote_ip_prefix': '0.0.0.0/0', 'state': 'absent'}}


def test_ipv6_world_exposure_is_caught():
    rules = [neutron(pmin=22, pmax=22, prefix='203.0.113.0/24', rule_id='v4'),
             neutron(pmin=22, pmax=22, prefix='::/0', ethertype='IPv6', rule_id='v6')]
    findings = audit_group('ssh', rules, [{'port': 22, 'protocol': 'tcp', 'remote_ip_prefix': '203.0.113.0/24'}])
    assert kinds(findings) == [('critical', 'sensitive_port_exposed')]
    assert findings[0]['rule']['id'] == 'v6'
    assert findings[0]['rule']['remote_ip_prefix'] == '::/0'
    assert findings[0]['fix']['openstack.cloud.security_group_rule']['ether_type'] == 'IPv6'


def test_ipv6_rule_without_remote_is_a_world_exposure():
    findings = audit_group('x', [neutron(protocol=None, ethertype='IPv6', rule_id='any6')], None)
    assert kinds(findings) == [('critical', 'sensitive_port_exposed')]
    assert findings[0]['rule']['remote_ip_prefix'] == '::/0'
    fix = findings[0]['fix']['openstack.cloud.security_group_rule']
    assert fix['protocol'] == 'any' and 'remote_ip_prefix' not in fix   # as stored, so the exact match finds it


def test_declared_world_exposure_of_a_sensitive_port_is_still_reported():
    findings = audit_group('ssh', [neutron(pmin=22, pmax=22, prefix='0.0.0.0/0')],
                           [{'port': 22, 'protocol': 'tcp'}])
    assert kinds(findings) == [('critical', 'sensitive_port_exposed')]


def test_custom_sensitive_ports():
    rules = [neutron(pmin=22, pmax=22, prefix='0.0.0.0/0'), neutron(pmin=6379, pmax=6379, rule_id='redis')]
    findings = audit_group('x', rules, None, sensitive_ports=[6379])
    assert [(f['kind'], f['rule']['id']) for f in findings] == [('sensitive_port_exposed', 'redis')]


# -- declared vs actual ------------------------------------------------------------------------

def test_missing_8080_rule_is_high_with_the_rule_to_add():
    declared = [{'port': 5432, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE},
                {'port': 8080, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}]
    findings = audit_group('app', [neutron(pmin=5432, pmax=5432, prefix=PRIVATE)], declared)
    assert kinds(findings) == [('high', 'missing_rule')]
    assert findings[0]['rule']['id'] is None
    assert findings[0]['fix'] == {'openstack.cloud.security_group_rule': {
        'security_group': 'app', 'direction': 'ingress', 'ether_type': 'IPv4', 'protocol': 'tcp',
        'port_range_min': 8080, 'port_range_max': 8080, 'remote_ip_prefix': PRIVATE, 'state': 'present'}}


def test_required_rule_is_satisfied_by_a_host_address_written_without_prefix():
    declared = [{'port': 22, 'protocol': 'tcp', 'remote_ip_prefix': '198.51.100.7'}]
    assert audit_group('ssh', [neutron(pmin=22, pmax=22, prefix='198.51.100.7/32')], declared) == []


def test_correct_group_has_no_findings_and_default_egress_is_ignored():
    rules = [neutron(pmin=5432, pmax=5432, prefix=PRIVATE, rule_id='a'),
             neutron(pmin=8080, pmax=8080, prefix=PRIVATE, rule_id='b'),
             neutron(protocol=None, direction='egress', rule_id='e4'),
             neutron(protocol=None, direction='egress', ethertype='IPv6', rule_id='e6')]
    declared = [{'port': 5432, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE},
                {'port': 8080, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}]
    assert audit_group('app', rules, declared) == []


def test_wider_cidr_than_declared():
    declared = [{'port': 443, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}]
    findings = audit_group('api', [neutron(pmin=443, pmax=443, prefix='10.0.0.0/8', rule_id='w')], declared)
    assert kinds(findings) == [('medium', 'wider_than_declared')]
    assert findings[0]['rule']['id'] == 'w'
    assert findings[0]['fix']['openstack.cloud.security_group_rule']['state'] == 'absent'


def test_wider_port_range_than_declared_covering_a_sensitive_port_is_high():
    declared = [{'port': 5432, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}]
    rules = [neutron(pmin=5432, pmax=5432, prefix=PRIVATE, rule_id='ok'),
             neutron(pmin=5000, pmax=9000, prefix=PRIVATE, rule_id='range')]
    findings = audit_group('db', rules, declared)
    assert kinds(findings) == [('high', 'wider_than_declared')]
    assert findings[0]['rule']['id'] == 'range'


def test_any_protocol_from_private_is_wider_than_a_tcp_declaration():
    declared = [{'port': 443, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}]
    rules = [neutron(pmin=443, pmax=443, prefix=PRIVATE, rule_id='ok'),
             neutron(protocol=None, prefix=PRIVATE, rule_id='any')]
    findings = audit_group('api', rules, declared)
    assert [(f['kind'], f['rule']['id']) for f in findings] == [('wider_than_declared', 'any')]


def test_narrower_rule_than_declared_is_fine():
    declared = [{'port_range_min': 8000, 'port_range_max': 8100, 'protocol': 'tcp', 'remote_ip_prefix': PRIVATE}]
    rules = [neutron(pmin=8000, pmax=8100, prefix=PRIVATE, rule_id='full'),
             neutron(pmin=8050, pmax=8050, prefix='10.10.0.9', rule_id='narrow')]
    assert audit_group('x', rules, declared) == []


def test_nothing_declared_reports_only_exposures():
    rules = [neutron(pmin=443, pmax=443, rule_id='api'), neutron(pmin=9999, pmax=9999, prefix=PRIVATE)]
    assert audit_group('x', rules, None) == []


def test_remote_group_rules():
    declared = [{'port': 5432, 'protocol': 'tcp', 'remote_group_id': 'id-app'}]
    ok = audit_group('db', [neutron(pmin=5432, pmax=5432, group='id-app')], declared, group_names={'id-app': 'app'})
    assert ok == []
    missing = audit_group('db', [neutron(pmin=5432, pmax=5432, group='id-other')], declared,
                          group_names={'id-app': 'app', 'id-other': 'other'})
    assert kinds(missing) == [('high', 'missing_rule'), ('high', 'wider_than_declared')]
    add = [f for f in missing if f['kind'] == 'missing_rule'][0]['fix']['openstack.cloud.security_group_rule']
    assert add['remote_group'] == 'app' and 'remote_ip_prefix' not in add
    remove = [f for f in missing if f['kind'] == 'wider_than_declared'][0]['fix']['openstack.cloud.security_group_rule']
    assert remove['remote_group'] == 'other'


# -- servers -----------------------------------------------------------------------------------

def test_server_without_its_group():
    attached = [{'id': 'id-ssh', 'name': 'ssh'}]
    expected = [{'id': 'id-ssh', 'name': 'ssh'}, {'id': 'id-db', 'name': 'db'}]
    findings = audit_server('supabase', attached, expected, {'image': 'img', 'flavor': 'm1.small'})
    assert kinds(findings) == [('high', 'server_missing_group')]
    f = findings[0]
    assert f['group'] == 'db' and f['rule'] is None and 'supabase' in f['detail']
    assert f['fix'] == {'openstack.cloud.server': {
        'name': 'supabase', 'image': 'img', 'flavor': 'm1.small', 'security_groups': ['db', 'ssh']}}


def test_server_with_all_groups_and_matching_by_id_not_name():
    expected = [{'id': 'id-db', 'name': 'db'}]
    assert audit_server('s', [{'id': 'id-db', 'name': 'db'}, {'id': 'id-def', 'name': 'default'}], expected) == []
    # another project's group that happens to be called "db" is not the expected one
    assert kinds(audit_server('s', [{'id': 'id-db-other', 'name': 'db'}], expected)) == [
        ('high', 'server_missing_group')]
    # a group that does not exist (no id) is missing by name
    assert kinds(audit_server('s', [{'id': 'x', 'name': 'ssh'}], [{'id': None, 'name': 'nope'}])) == [
        ('high', 'server_missing_group')]


# -- severities and summary --------------------------------------------------------------------

def test_threshold_selection_and_ordering():
    findings = [{'severity': s, 'kind': k, 'group': 'g', 'rule': None, 'detail': 'd', 'fix': None}
                for s, k in [('medium', 'wider_than_declared'), ('critical', 'sensitive_port_exposed'),
                             ('high', 'missing_rule'), ('low', 'x')]]
    assert [f['severity'] for f in sort_findings(findings)] == ['critical', 'high', 'medium', 'low']
    assert len(at_or_above(findings, 'high')) == 2
    assert len(at_or_above(findings, 'critical')) == 1
    assert len(at_or_above(findings, 'low')) == 4
    assert at_or_above(findings, 'none') == []


def test_summary_names_finding_and_fix():
    findings = audit_group('db', [neutron(pmin=5432, pmax=5432, prefix='0.0.0.0/0', rule_id='bad')], None)
    text = summarize(findings)
    assert text.startswith('[critical] sensitive_port_exposed db:')
    assert 'openstack.cloud.security_group_rule' in text and 'state=absent' in text and 'port_range_min=5432' in text


def test_public_rule_is_json_safe():
    import json
    findings = audit_group('db', [neutron(pmin=5432, pmax=5432, prefix='0.0.0.0/0')], None)
    json.dumps(findings)
    assert not any(isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)) for v in findings[0]['rule'].values())
