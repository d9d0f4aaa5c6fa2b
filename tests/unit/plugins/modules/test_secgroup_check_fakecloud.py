# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""secgroup_check end to end against a FAKE cloud (stand-in for openstacksdk's Connection).

The rule logic is tested in tests/unit/plugins/module_utils/test_secgroup_rules.py and against the
lab cloud in tests/lab/test_secgroup_check.py; this checks the module's plumbing: option handling,
lookups, result shape (RETURN is a contract), failure on severity, read-only behaviour.
"""

from types import SimpleNamespace

import openstack
import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpt371.infra.plugins.modules import secgroup_check
from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule
from tests.helpers import Exit, catch_exit

PRIVATE = '10.10.0.0/24'


def rule(rid, port=None, prefix=None, protocol='tcp', direction='ingress', ethertype='IPv4', group=None):
    return {'id': rid, 'direction': direction, 'ethertype': ethertype, 'protocol': protocol,
            'port_range_min': port, 'port_range_max': port, 'remote_ip_prefix': prefix,
            'remote_group_id': group, 'description': ''}


class FakeNetwork:
    def __init__(self, groups, ports):
        self.groups = groups
        self.port_map = ports
        self.writes = []

    def security_groups(self, **query):
        return list(self.groups)

    def find_security_group(self, name_or_id, ignore_missing=True, **query):
        for g in self.groups:
            if name_or_id in (g.id, g.name):
                return g
        assert ignore_missing
        return None

    def get_security_group(self, gid):
        return [g for g in self.groups if g.id == gid][0]

    def ports(self, device_id=None, **query):
        return [SimpleNamespace(security_group_ids=ids) for ids in self.port_map.get(device_id, [])]

    def __getattr__(self, name):  # any create/update/delete call is a bug in a read-only module
        if name.startswith(('create_', 'update_', 'delete_')):
            self.writes.append(name)
        raise AttributeError(name)


class FakeCompute:
    def __init__(self, servers):
        self.servers = servers

    def find_server(self, name_or_id, ignore_missing=True, **query):
        for s in self.servers:
            if name_or_id in (s.id, s.name):
                return s
        return None


def group(gid, name, rules):
    return SimpleNamespace(id=gid, name=name, security_group_rules=rules)


def server(sid, name):
    return SimpleNamespace(id=sid, name=name, image=SimpleNamespace(id='img-1'),
                           flavor=SimpleNamespace(name='m1.small', original_name='m1.small'))


@pytest.fixture
def cloud(monkeypatch):
    default_egress = [rule('e4', protocol=None, direction='egress'),
                      rule('e6', protocol=None, direction='egress', ethertype='IPv6')]
    groups = [
        group('id-db', 'db', [rule('db1', 5432, PRIVATE)] + default_egress),
        group('id-xpipe', 'xpipe', [rule('xp1', 8080, PRIVATE)] + default_egress),
        group('id-open', 'open', [rule('bad', 5432, '0.0.0.0/0'), rule('bad6', 22, '::/0', ethertype='IPv6')]),
        group('id-default', 'default', default_egress),
    ]
    conn = SimpleNamespace(network=FakeNetwork(groups, {'srv-db': [['id-db', 'id-default']]}),
                           compute=FakeCompute([server('srv-db', 'supabase')]))
    monkeypatch.setattr(OpenStackModule, 'openstack_cloud_from_module', lambda self: (openstack, conn))
    catch_exit(monkeypatch)
    return conn


def run(monkeypatch, check_mode=False, **args):
    args.setdefault('cloud', 'fake')
    args['_ansible_check_mode'] = check_mode
    with patch_module_args(args), pytest.raises(Exit) as info:
        secgroup_check.main()
    return info.value


DB_RULES = [{'security_group': 'db', 'port': 5432, 'remote_ip_prefix': PRIVATE},
            {'security_group': 'xpipe', 'port': 8080, 'remote_ip_prefix': PRIVATE}]


def test_correct_groups_pass_and_result_matches_return(cloud, monkeypatch):
    out = run(monkeypatch, security_groups=['db', 'xpipe'], required_rules=DB_RULES)
    assert not out.failed, out.result.get('msg')
    res = out.result
    assert res['changed'] is False and res['ok'] is True and res['findings'] == []
    assert [c['name'] for c in res['checks']] == ['security_group:db', 'security_group:xpipe']
    assert all(c['ok'] and isinstance(c['elapsed_ms'], int) for c in res['checks'])
    assert isinstance(res['elapsed_ms'], int)
    documented = set(yaml.safe_load(secgroup_check.RETURN))
    assert set(res) - {'changed', 'invocation'} == documented - {'msg'}
    check_keys = set(yaml.safe_load(secgroup_check.RETURN)['checks']['contains'])
    assert all(set(c) == check_keys for c in res['checks'])
    assert cloud.network.writes == []


def test_exposures_fail_with_fix_in_message(cloud, monkeypatch):
    out = run(monkeypatch, security_groups=['open'])
    assert out.failed
    res = out.result
    assert res['ok'] is False and res['changed'] is False
    assert [(f['severity'], f['kind'], f['rule']['id']) for f in res['findings']] == [
        ('critical', 'sensitive_port_exposed', 'bad'), ('critical', 'sensitive_port_exposed', 'bad6')]
    assert '2 finding(s) at or above high' in res['msg']
    assert 'openstack.cloud.security_group_rule' in res['msg'] and 'remote_ip_prefix=::/0' in res['msg']
    finding_keys = set(yaml.safe_load(secgroup_check.RETURN)['findings']['contains'])
    assert all(set(f) == finding_keys for f in res['findings'])


def test_fail_on_severity_none_reports_only(cloud, monkeypatch):
    out = run(monkeypatch, check_mode=True, security_groups=['open'], fail_on_severity='none')
    assert not out.failed
    assert out.result['ok'] is False and len(out.result['findings']) == 2
    assert out.result['checks'][0]['ok'] is False


def test_missing_rule_server_without_group_and_missing_objects(cloud, monkeypatch):
    out = run(monkeypatch, security_groups=['db', 'nosuch'],
              required_rules=[{'security_group': 'db', 'port': 5432, 'remote_ip_prefix': PRIVATE},
                              {'security_group': 'db', 'port': 8080, 'remote_ip_prefix': PRIVATE}],
              servers=['supabase', 'ghost'], expected_groups=['db', 'xpipe'])
    assert out.failed
    got = sorted((f['kind'], f['group']) for f in out.result['findings'])
    assert got == [('group_missing', 'nosuch'), ('missing_rule', 'db'), ('server_missing', 'ghost'),
                   ('server_missing_group', 'xpipe')]
    fix = [f for f in out.result['findings'] if f['kind'] == 'server_missing_group'][0]['fix']
    assert fix == {'openstack.cloud.server': {'name': 'supabase', 'image': 'img-1', 'flavor': 'm1.small',
                                              'security_groups': ['db', 'default', 'xpipe']}}
    names = [c['name'] for c in out.result['checks']]
    # the server's "default" group was audited for exposures too, "db" only once
    assert names.count('security_group:db') == 1 and 'security_group:default' in names


def test_server_attached_group_exposure_is_found(cloud, monkeypatch):
    cloud.network.port_map['srv-db'] = [['id-db'], ['id-open']]
    out = run(monkeypatch, servers=['supabase'], expected_groups=['db'])
    assert out.failed
    assert sorted(f['group'] for f in out.result['findings']) == ['open', 'open']


def test_bad_declaration_fails_before_auditing(cloud, monkeypatch):
    out = run(monkeypatch, security_groups=['db'], required_rules=[{'port': 5432, 'remote_ip_prefix': '10.0.0.300/8'}])
    assert out.failed and out.result['msg'].startswith('required_rules[0]: invalid remote_ip_prefix')
    out = run(monkeypatch, security_groups=['db'], required_rules=[{'port': 5432, 'remote_ip_prefix': PRIVATE,
                                                                    'remote_group': 'db'}])
    assert out.failed and 'mutually exclusive' in out.result['msg']


def test_needs_groups_or_servers(cloud, monkeypatch):
    out = run(monkeypatch, required_rules=DB_RULES)
    assert out.failed and 'security_groups' in out.result['msg']


@pytest.mark.parametrize(('names', 'required', 'threshold'), [
    (['db', 'xpipe'], DB_RULES, 'high'),
    (['open'], [], 'high'),
    (['open', 'db'], DB_RULES + [{'security_group': 'db', 'port': 8080, 'remote_ip_prefix': PRIVATE}], 'none'),
    (['db'], [{'security_group': 'db', 'port': 22, 'remote_group': 'xpipe'}], 'medium'),
])
def test_the_filter_on_one_listing_gives_the_module_s_result(cloud, monkeypatch, names, required, threshold):
    """secgroup_audit (network role, no second cloud call) and secgroup_check audit the same groups alike."""
    from ansible_collections.gpt371.infra.plugins.filter.secgroup_audit import secgroup_audit
    out = run(monkeypatch, security_groups=names, required_rules=required, fail_on_severity=threshold)
    listing = [{'id': g.id, 'name': g.name, 'security_group_rules': g.security_group_rules}
               for g in cloud.network.groups]
    filtered = secgroup_audit(listing, names, required, fail_on_severity=threshold)

    def timeless(result):
        return dict(result, elapsed_ms=0, checks=[dict(c, elapsed_ms=0) for c in result['checks']])
    assert timeless(dict((k, v) for k, v in out.result.items() if k not in ('msg', 'invocation', 'failed'))) == \
        timeless(dict((k, v) for k, v in filtered.items() if k != 'msg'))
    assert filtered['msg'] == out.result.get('msg', '') and bool(filtered['msg']) == bool(out.failed)


def test_the_filter_leaves_a_missing_or_doubled_group_to_the_module(cloud):
    from ansible_collections.gpt371.infra.plugins.filter.secgroup_audit import secgroup_audit
    listing = [{'id': g.id, 'name': g.name, 'security_group_rules': g.security_group_rules}
               for g in cloud.network.groups]
    assert secgroup_audit(listing, ['nosuch']) is None
    assert secgroup_audit(listing + [dict(listing[0], id='id-db-2')], ['db']) is None
