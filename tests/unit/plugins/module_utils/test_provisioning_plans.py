# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provisioning roles' decisions (_deployment, _server_plan, _network_plan, _outputs, _teardown), with
server, subnet and security group records shaped as openstack.cloud's *_info modules return them."""

import json

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils._deployment import deployment_name_errors
from ansible_collections.gpt371.infra.plugins.module_utils._network_plan import (
    free_subnet, network_plan, subnet_overlaps)
from ansible_collections.gpt371.infra.plugins.module_utils._outputs import terraform_outputs
from ansible_collections.gpt371.infra.plugins.module_utils._server_plan import server_plan, server_state
from ansible_collections.gpt371.infra.plugins.module_utils._teardown import marked_resources

import ipaddress

BY_PURPOSE = {'database': 'demo-db', 'xpipe': 'demo-xpipe', 'ssh': 'demo-ssh', 'api': 'demo-api'}
SERVERS = [  # the role's default instances_servers
    {'name': 'core', 'groups': ['core', 'app'], 'security_groups': ['ssh', 'api'], 'floating_ip': True},
    {'name': 'xpipe', 'groups': ['xpipe', 'app'], 'security_groups': ['ssh', 'xpipe']},
    {'name': 'kespa', 'groups': ['kespa', 'app'], 'security_groups': ['ssh']},
    {'name': 'supabase', 'groups': ['database'], 'security_groups': ['ssh', 'database']},
]


def plan(**kw):
    args = dict(deployment='demo', agent_count=2, name_prefix='demo-', groups_by_purpose=BY_PURPOSE,
                agent_groups=['agents', 'app'], agent_security_groups=['ssh'], image='Ubuntu 20.04', flavor='s1-4')
    args.update(kw)
    return server_plan(SERVERS, **args)


def found(name, status='ACTIVE', role=None, index=-1, groups='app', ip='10.10.0.5', public=None, fault=None):
    """A server as openstack.cloud.server_info returns it (with `detailed`: private_v4, public_v4)."""
    return {'id': 'id-' + name, 'name': name, 'status': status, 'private_v4': ip, 'public_v4': public or '',
            'access_ipv4': '', 'fault': fault,
            'metadata': {'gpt371_deployment': 'demo', 'gpt371_role': role or name.split('-', 1)[1],
                         'gpt371_index': str(index), 'gpt371_groups': groups}}


# -- deployment name ---------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['gpt371', 'prod', 'lab-a', 'team_2.x', 'a'])
def test_valid_names(name):
    assert deployment_name_errors(name) == []


@pytest.mark.parametrize('name, words', [
    ('', 'empty'), ('bad name', 'not a plain name'), ('-x', 'not a plain name'), ('x-', 'not a plain name'),
    ('a/b', 'not a plain name'), ('a,b', 'not a plain name'), ('x' * 41, '41 characters')])
def test_invalid_names_name_the_option_and_a_fix(name, words):
    errors = deployment_name_errors(name, 'network_deployment')
    assert errors and words in errors[0] and 'network_deployment' in errors[0]


def test_suggestion_is_valid():
    message = deployment_name_errors('bad name!')[0]
    assert '"bad-name"' in message and deployment_name_errors('bad-name') == []


# -- server plan ---------------------------------------------------------------------------------

def test_plan_lists_fixed_servers_then_agents_with_the_mark():
    result = plan()
    assert result['errors'] == []
    names = [s['full_name'] for s in result['servers']]
    assert names == ['demo-core', 'demo-xpipe', 'demo-kespa', 'demo-supabase', 'demo-agent-server-0',
                     'demo-agent-server-1']
    core, agent = result['servers'][0], result['servers'][5]
    assert core['floating_ip'] is True and core['group_names'] == ['demo-ssh', 'demo-api']
    assert core['metadata'] == {'gpt371_deployment': 'demo', 'gpt371_role': 'core', 'gpt371_index': '-1',
                                'gpt371_groups': 'core,app'}
    assert agent['metadata']['gpt371_role'] == 'agent' and agent['metadata']['gpt371_index'] == '1'
    assert agent['floating_ip'] is False and agent['image'] == 'Ubuntu 20.04'


def test_plan_applies_overrides_and_metadata():
    result = plan(overrides={'supabase': {'flavor': 's1-8'}, 'agent-server-0': {'image': 'Ubuntu 22.04'}},
                  metadata={'owner': 'ops'})
    by_name = dict((s['name'], s) for s in result['servers'])
    assert by_name['supabase']['flavor'] == 's1-8' and by_name['kespa']['flavor'] == 's1-4'
    assert by_name['agent-server-0']['image'] == 'Ubuntu 22.04'
    assert by_name['core']['metadata']['owner'] == 'ops'


@pytest.mark.parametrize('count', ['0', 0, '3', 3])
def test_agent_count_string_or_int(count):
    assert len([s for s in plan(agent_count=count)['servers'] if s['role'] == 'agent']) == int(count)


@pytest.mark.parametrize('count', ['-1', 'three', '2.5', True, None])
def test_bad_agent_count_is_an_error(count):
    errors = plan(agent_count=count)['errors']
    assert any('instances_agent_count (agent_count)' in e for e in errors)


def test_bad_name_unknown_purpose_and_duplicates_are_errors():
    errors = plan(deployment='bad name', agent_security_groups=['ssh', 'mail'], agent_name='core',
                  agent_count=1)['errors']
    text = ' '.join(errors)
    assert 'instances_deployment' in text and 'mail' in text
    # agent 'core-0' does not clash; a prefix that makes two names equal does:
    errors = server_plan(SERVERS + [{'name': 'core', 'groups': ['x'], 'security_groups': []}], 'demo', 0, 'demo-',
                         BY_PURPOSE, image='i', flavor='f')['errors']
    assert any('demo-core' in e and 'unique' in e for e in errors)


# -- server state --------------------------------------------------------------------------------

def test_state_sorts_current_missing_extra_and_not_active():
    wanted = plan()['servers']
    cloud = [found('demo-core', public='203.0.113.9', groups='core,app', ip='10.10.0.4'),
             found('demo-xpipe', status='ERROR', fault={'message': 'No valid host was found.', 'code': 500}),
             found('demo-kespa', status='SHUTOFF'),
             found('demo-agent-server-0', role='agent', index=0, ip='10.10.0.20', groups='agents,app'),
             found('demo-agent-server-1', role='agent', index=1, ip='10.10.0.21', groups='agents,app'),
             found('demo-agent-server-2', role='agent', index=2, ip='10.10.0.22')]
    state = server_state(cloud, wanted, 'demo-')
    assert state['missing'] == ['demo-supabase']
    assert [s['name'] for s in state['extra_agents']] == ['demo-agent-server-2']
    assert [h['name'] for h in state['hosts']] == ['demo-agent-server-0', 'demo-agent-server-1', 'demo-core']
    assert state['hosts'][2]['groups'] == ['core', 'app']
    bad = dict((s['name'], s) for s in state['not_active'])
    assert set(bad) == {'demo-xpipe', 'demo-kespa'}
    assert bad['demo-xpipe']['fault'] == 'No valid host was found.'
    assert bad['demo-xpipe']['message'].startswith('server demo-xpipe is ERROR: No valid host was found.; fix:')
    assert 'openstack server set --state active demo-xpipe' in bad['demo-xpipe']['fix']
    assert 'openstack server rebuild demo-xpipe' in bad['demo-xpipe']['fix']
    assert 'provision.yml' in bad['demo-xpipe']['fix']
    assert bad['demo-kespa']['fix'].startswith('`openstack server start demo-kespa`')
    assert 'deploy action' not in bad['demo-kespa']['message']
    outputs = state['outputs']
    assert outputs['agent_instance_ips'] == ['10.10.0.20', '10.10.0.21']
    assert outputs['floating_ips'] == {'core': '203.0.113.9'}
    assert outputs['servers']['agent-server-1']['private_v4'] == '10.10.0.21'
    assert outputs['servers']['core']['groups'] == ['core', 'app']


@pytest.mark.parametrize('status, command', [
    ('PAUSED', 'openstack server unpause demo-x'), ('SUSPENDED', 'openstack server resume demo-x'),
    ('SHELVED_OFFLOADED', 'openstack server unshelve demo-x'), ('BUILD', 'if it stays BUILD'),
    ('VERIFY_RESIZE', 'openstack server resize confirm demo-x'), ('MYSTERY', 'openstack server show demo-x')])
def test_fix_fits_the_state(status, command):
    entry = server_state([found('demo-x', status=status, role='core')],
                         [{'full_name': 'demo-x', 'role': 'core'}])['not_active'][0]
    assert command in entry['fix'] and entry['message'].startswith('server demo-x is %s; fix: ' % status)


def test_state_of_a_new_deployment_is_all_missing():
    state = server_state([], plan()['servers'], 'demo-')
    assert len(state['missing']) == 6 and state['hosts'] == [] and state['not_active'] == []
    assert state['outputs'] == {'servers': {}, 'agent_instance_ips': [], 'floating_ips': {}}


def test_state_names_the_catalog_of_the_servers_to_create_only():
    wanted = plan(overrides={'supabase': {'flavor': 's1-8'}, 'agent-server-0': {'image': 'Ubuntu 22.04'}})['servers']
    state = server_state([], wanted, 'demo-')
    assert state['catalog_to_create'] == {'images': ['Ubuntu 20.04', 'Ubuntu 22.04'], 'flavors': ['s1-4', 's1-8']}
    # supabase and agent-server-0 stand: their own image and flavor are not read.
    state = server_state([found('demo-supabase'), found('demo-agent-server-0', role='agent', index=0)], wanted, 'demo-')
    assert state['catalog_to_create'] == {'images': ['Ubuntu 20.04'], 'flavors': ['s1-4']}
    everything = [found(w['full_name'], role=w['role'], index=w.get('index', -1)) for w in wanted]
    assert server_state(everything, wanted, 'demo-')['catalog_to_create'] == {'images': [], 'flavors': []}


def test_state_reports_duplicates_from_a_race():
    state = server_state([found('demo-core'), found('demo-core')], plan()['servers'], 'demo-')
    assert state['duplicates'] == ['demo-core']


# -- network plan --------------------------------------------------------------------------------

GROUPS = [
    {'name': 'demo-db', 'purpose': 'database', 'rules': [
        {'protocol': 'tcp', 'port_range_min': 5432, 'port_range_max': 5432, 'remote_ip_prefix': '10.10.0.0/24'}]},
    {'name': 'demo-api', 'purpose': 'api', 'rules': [
        {'protocol': 'tcp', 'port_range_min': 443, 'port_range_max': 443, 'remote_ip_prefix': '0.0.0.0/0'}]},
]
COMMON = [{'direction': 'egress', 'ether_type': 'IPv4', 'protocol': 'any'}]


def nplan(**kw):
    args = dict(common_rules=COMMON, deployment='demo', subnet_cidr='10.10.0.0/24', admin_cidr='10.10.0.0/24',
                sensitive_ports=[5432, 22, 8080])
    args.update(kw)
    return network_plan(GROUPS, **args)


def test_network_plan_merges_and_lists_required_rules():
    extra = [{'name': 'demo-db', 'purpose': 'database', 'rules': []},
             {'name': 'demo-mon', 'rules': [{'protocol': 'tcp', 'port_range_min': 9100, 'remote_group': 'demo-api'}]}]
    result = nplan(extra=extra)
    assert result['errors'] == []
    assert [g['name'] for g in result['groups']] == ['demo-api', 'demo-db', 'demo-mon']
    assert result['by_purpose'] == {'api': 'demo-api', 'database': 'demo-db'}
    assert {r['security_group'] for r in result['required_rules']} == {'demo-api', 'demo-db', 'demo-mon'}
    assert len(result['required_rules']) == 2 + 1 + 2


@pytest.mark.parametrize('kw, words', [
    ({'deployment': 'bad name'}, 'network_deployment'),
    ({'subnet_cidr': '10.10.0.0/33'}, 'network_subnet_cidr "10.10.0.0/33" is not a CIDR'),
    ({'subnet_cidr': '10.10.0.5/24'}, 'host bits set; use 10.10.0.0/24'),
    ({'subnet_cidr': '10.10.0.0/30'}, 'too few addresses'),
    ({'admin_cidr': '0.0.0.0/0'}, 'whole internet'),
    ({'admin_cidr': '::/0'}, 'whole internet'),
    ({'admin_cidr': 'office'}, 'network_admin_cidr "office" is not a CIDR'),
    ({'fail_on_severity': 'loud'}, 'network_check_fail_on_severity'),
    ({'extra': [{'name': 'demo-x', 'rules': [{'remote_group': 'nope'}]}]}, 'remote_group nope'),
    ({'extra': [{'name': 'demo-x', 'rules': [{'remote_ip_prefix': '10.0.0.0/99'}]}]}, 'not a CIDR'),
    ({'extra': [{'name': 'demo-x'}]}, 'needs a name and a rules list'),
    ({'extra': [{'name': 'demo-pg', 'rules': [
        {'protocol': 'tcp', 'port_range_min': 5000, 'port_range_max': 6000, 'remote_ip_prefix': '0.0.0.0/0'}]}]},
     'opens sensitive port(s) 5432'),
    ({'extra': [{'name': 'demo-all', 'rules': [{'protocol': 'any'}]}]}, 'opens sensitive port(s) 5432, 22, 8080'),
])
def test_network_plan_errors(kw, words):
    errors = nplan(**kw)['errors']
    assert any(words in e for e in errors), errors


def test_admin_address_without_prefix_is_accepted():
    assert nplan(admin_cidr='203.0.113.7')['errors'] == []


# -- subnet overlaps -------------------------------------------------------------------------------

def subnet(name, cidr, deployment=None, network_id='net-x', tags=None):
    tags = tags if tags is not None else (['gpt371', 'deployment=' + deployment] if deployment else [])
    return {'id': 'id-' + name, 'name': name, 'cidr': cidr, 'network_id': network_id, 'tags': tags,
            'description': ' '.join(tags)}


def test_second_deployment_with_default_cidr_gets_named_overlap_and_a_free_range():
    subnets = [subnet('gpt371-subnet', '10.10.0.0/24', 'gpt371'), subnet('lab-b-subnet', '10.10.1.0/24', 'lab-b'),
               subnet('public-subnet', '172.24.4.0/24', network_id='ext')]
    errors = subnet_overlaps('10.10.0.0/24', subnets, 'demo-subnet', ['gpt371', 'deployment=demo'], 'gpt371', ['ext'])
    assert len(errors) == 1
    assert 'gpt371-subnet (10.10.0.0/24) of deployment gpt371' in errors[0]
    assert 'network_subnet_cidr=10.10.2.0/24' in errors[0]


def test_own_subnet_unmarked_and_disjoint_ones_do_not_count():
    subnets = [subnet('demo-subnet', '10.10.0.0/24', 'demo'), subnet('someone-else', '10.10.0.0/16', tags=[]),
               subnet('gpt371-subnet', '10.20.0.0/24', 'gpt371')]
    assert subnet_overlaps('10.10.0.0/24', subnets, 'demo-subnet', ['gpt371', 'deployment=demo'], 'gpt371') == []


def test_external_network_overlap_is_named():
    errors = subnet_overlaps('172.24.4.0/25', [subnet('public-subnet', '172.24.4.0/24', network_id='ext')],
                             'demo-subnet', ['gpt371', 'deployment=demo'], 'gpt371', ['ext'])
    assert errors and 'the external network' in errors[0]


def test_free_subnet_skips_taken_ranges():
    taken = [ipaddress.ip_network(c) for c in ('10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/23')]
    assert free_subnet(ipaddress.ip_network('10.10.0.0/24'), taken) == '10.10.4.0/24'


# -- outputs -------------------------------------------------------------------------------------

def test_terraform_outputs_shape_types_and_secrets():
    state = server_state([found('demo-core', public='203.0.113.9', ip='10.10.0.4'),
                          found('demo-supabase', ip='10.10.0.6', groups='database'),
                          found('demo-agent-server-0', role='agent', index=0, ip='10.10.0.20')],
                         plan(agent_count=1)['servers'], 'demo-')
    instances = dict(state['outputs'], deployment='demo', keypair_name='demo-key', private_key_file='/k')
    network = {'network_id': 'n1', 'subnet_id': 's1', 'router_id': 'r1', 'subnet_cidr': '10.10.0.0/24',
               'security_groups': {'demo-db': 'g1'}}
    out = terraform_outputs(instances, network, 'demo',
                            settings={'database_user': 'gpt371', 'database_name': '371gpt', 'database_port': '5432',
                                      'storage_endpoint': 'http://s3', 'storage_bucket': 'b', 'xpipe_port': 8080},
                            secrets={'database_password': ' pw \n', 'storage_access_key': '', 'storage_secret_key': None},
                            extra={'region': 'lab', 'token': {'value': 't', 'sensitive': 'yes'}, 'on': True})
    assert out['core_instance_ip'] == {'value': '10.10.0.4', 'sensitive': False, 'type': 'string'}
    assert out['xpipe_instance_ip']['value'] == ''
    assert out['api_floating_ip']['value'] == '203.0.113.9'
    assert out['agent_instance_ips'] == {'value': ['10.10.0.20'], 'sensitive': False, 'type': ['list', 'string']}
    assert out['agent_count'] == {'value': 1, 'sensitive': False, 'type': 'number'}
    assert out['database_port']['value'] == 5432 and out['database_port']['type'] == 'number'
    assert out['instance_ids']['type'] == ['map', 'string']
    assert out['instance_ids']['value']['demo-core'] == 'id-demo-core'
    assert out['database_password'] == {'value': 'pw', 'sensitive': True, 'type': 'string'}
    assert 'storage_access_key' not in out and 'storage_secret_key' not in out
    assert out['token'] == {'value': 't', 'sensitive': True, 'type': 'string'}
    assert out['on']['type'] == 'bool'
    json.dumps(out)


# -- teardown selection ----------------------------------------------------------------------------

def test_marked_resources_take_only_the_deployment():
    servers = [found('demo-core')]
    result = marked_resources(
        servers, 'deployment=demo', 'demo-',
        ports=[{'id': 'p1', 'device_id': 'id-demo-core'}, {'id': 'p2', 'device_id': 'other'}],
        floating_ips=[{'floating_ip_address': '203.0.113.9', 'port_id': 'p1'},
                      {'floating_ip_address': '203.0.113.10', 'port_id': 'p2'}],
        keypairs=[{'name': 'demo-key'}],
        routers=[{'id': 'r1', 'name': 'demo-router', 'tags': ['gpt371', 'deployment=demo']},
                 {'id': 'r2', 'name': 'demo2-router', 'tags': ['gpt371', 'deployment=demo2']}],
        networks=[{'id': 'n1', 'name': 'demo-net', 'tags': ['deployment=demo']}, {'id': 'n2', 'name': 'x', 'tags': []}],
        subnets=[{'id': 's1', 'name': 'demo-subnet', 'network_id': 'n1', 'tags': []},
                 {'id': 's2', 'name': 'stray', 'network_id': 'n9', 'tags': ['deployment=demo']},
                 {'id': 's3', 'name': 'x', 'network_id': 'n2', 'tags': []}],
        security_groups=[{'id': 'g1', 'name': 'demo-db', 'description': 'PostgreSQL (gpt371 deployment=demo)'},
                         {'id': 'g2', 'name': 'demo-db2', 'description': 'x (gpt371 deployment=demo2)'},
                         {'id': 'g3', 'name': 'other-db', 'description': 'x (gpt371 deployment=demo)'}])
    assert [f['floating_ip_address'] for f in result['floating_ips']] == ['203.0.113.9']
    assert [r['name'] for r in result['routers']] == ['demo-router']
    assert [n['name'] for n in result['networks']] == ['demo-net']
    assert [s['name'] for s in result['subnets']] == ['demo-subnet', 'stray']
    assert [g['name'] for g in result['security_groups']] == ['demo-db']
    assert result['keypairs'] == ['demo-key']


# -- which servers the server module is called for (to_apply) -----------------------------------------------------

def as_found(wanted, **changes):
    """The cloud's record of a wanted server as the module left it (metadata, security group names, tags)."""
    record = {'id': 'id-' + wanted['full_name'], 'name': wanted['full_name'], 'status': 'ACTIVE',
              'private_v4': '10.10.0.5', 'metadata': dict(wanted['metadata']),
              'security_groups': [{'name': name} for name in wanted['group_names']],
              'tags': ['gpt371', 'deployment=demo']}
    record.update(changes)
    return record


TAGS = ['gpt371', 'deployment=demo']


def test_nothing_to_apply_when_every_server_is_as_wanted():
    wanted = plan()['servers']
    state = server_state([as_found(w) for w in wanted], wanted, 'demo-', TAGS)
    assert state['to_apply'] == []
    assert state['missing'] == []


def test_a_new_deployment_applies_every_server():
    wanted = plan()['servers']
    assert server_state([], wanted, 'demo-', TAGS)['to_apply'] == [w['full_name'] for w in wanted]


DRIFTS = {  # what someone changed by hand on core -> the record's fields
    'mark key removed': lambda core: {'metadata': {'gpt371_deployment': 'demo'}},
    'metadata key added': lambda core: {'metadata': dict(core['metadata'], owner='someone')},
    'group detached': lambda core: {'security_groups': [{'name': 'demo-ssh'}]},
    'groups not in the record': lambda core: {'security_groups': None},
    'tag removed': lambda core: {'tags': ['gpt371']},
    'tags not in the record': lambda core: {'tags': None},
}


@pytest.mark.parametrize('drift', sorted(DRIFTS))
def test_a_server_that_drifted_is_applied_and_only_it(drift):
    wanted = plan()['servers']
    core = next(w for w in wanted if w['full_name'] == 'demo-core')
    records = [as_found(w, **DRIFTS[drift](core)) if w is core else as_found(w) for w in wanted]
    assert server_state(records, wanted, 'demo-', TAGS)['to_apply'] == ['demo-core']


def test_tags_are_compared_only_when_given():
    wanted = plan()['servers']
    records = [as_found(w, tags=None) for w in wanted]
    assert server_state(records, wanted, 'demo-')['to_apply'] == []
    assert len(server_state(records, wanted, 'demo-', TAGS)['to_apply']) == len(wanted)


def test_addresses_come_from_novas_record_when_the_listing_is_not_detailed():
    """server_info without `detailed`: no private_v4/public_v4, only Nova's addresses."""
    record = found('demo-core', ip=None, groups='core,app')
    record.pop('private_v4')
    record.pop('public_v4')
    record['addresses'] = {'demo-net': [
        {'addr': '10.10.0.4', 'version': 4, 'OS-EXT-IPS:type': 'fixed'},
        {'addr': '203.0.113.9', 'version': 4, 'OS-EXT-IPS:type': 'floating'}]}
    state = server_state([record], plan()['servers'], 'demo-')
    assert state['hosts'] == [{'name': 'demo-core', 'id': 'id-demo-core', 'private_v4': '10.10.0.4',
                               'groups': ['core', 'app']}]
    assert state['outputs']['floating_ips'] == {'core': '203.0.113.9'}
    assert state['outputs']['servers']['core']['public_v4'] == '203.0.113.9'
