# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpt371.infra.secgroup_check against the lab OpenStack cloud (real Keystone/Neutron/Nova).

As the lab's non-admin user (cloud ``gpt371-lab`` of lab/.state/clouds.yaml, passed the way AWX does:
OS_CLIENT_CONFIG_FILE + OS_CLOUD), the test builds security groups and a server with openstacksdk, then runs
the module through ansible-playbook and checks it passes on correct groups and catches: 5432 open to the
world, a missing 8080 rule, a server without its group, an IPv6 ::/0 exposure. The fixes the module returns
are applied as tasks and the audit is re-run, so "the exact rule to add or remove" is proven too.
Everything created is named gpt371-sgt-<random>-* and deleted at the end.
"""
import json
import os
import subprocess
import time
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CLOUDS_YAML = os.path.join(REPO, 'lab', '.state', 'clouds.yaml')
CLOUD = 'gpt371-lab'
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
SUBNET = '10.77.0.0/24'


# -- helpers -------------------------------------------------------------------------------------

def run_tasks(tmp_path, tasks, check=False, timeout=300):
    """Run tasks on localhost with the lab credentials in the environment; return the registered results."""
    out = tmp_path / ('out-%s.json' % uuid.uuid4().hex)
    plays = [{
        'name': 'secgroup_check lab test', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [dict(task, register='r%d' % i, ignore_errors=True) for i, task in enumerate(tasks)] + [{
            'name': 'Save results', 'check_mode': False, 'delegate_to': 'localhost',
            'ansible.builtin.copy': {
                'dest': str(out),
                'content': '{{ [%s] | to_json }}' % ', '.join('r%d' % i for i in range(len(tasks)))},
        }],
    }]
    playbook = tmp_path / ('play-%s.yml' % uuid.uuid4().hex)
    playbook.write_text(json.dumps(plays))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=CLOUDS_YAML,
               OS_CLOUD=CLOUD, PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='1')
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=' + os.path.join(VENV_BIN, 'python'), str(playbook)]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert out.exists(), 'ansible-playbook did not finish:\n%s\n%s' % (proc.stdout[-4000:], proc.stderr[-4000:])
    return json.loads(out.read_text())


def audit(tmp_path, check=False, **args):
    return run_tasks(tmp_path, [{'name': 'audit', 'gpt371.infra.secgroup_check': args}], check=check)[0]


def apply_fixes(tmp_path, findings):
    results = run_tasks(tmp_path, [dict(f['fix'], name='fix %s' % f['kind']) for f in findings])
    for r in results:
        assert not r.get('failed'), r.get('msg')
        assert r['changed'] is True


def by_kind(result):
    return sorted((f['severity'], f['kind'], f['group']) for f in result['findings'])


# -- the lab objects -----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def conn(lab_up):  # lab_up (conftest): `lab.sh up` first, so a cold run tests instead of skipping
    import openstack.config
    from openstack import connection
    region = openstack.config.OpenStackConfig(config_files=[CLOUDS_YAML]).get_one(cloud=CLOUD)
    c = connection.Connection(config=region)
    yield c
    c.close()


@pytest.fixture(scope='module')
def lab(conn):
    prefix = 'gpt371-sgt-%s' % uuid.uuid4().hex[:6]
    made = {'groups': []}

    def group(suffix, rules):
        g = conn.network.create_security_group(name='%s-%s' % (prefix, suffix), description='secgroup_check lab test')
        made['groups'].append(g)
        for rule in rules:
            conn.network.create_security_group_rule(security_group_id=g.id, direction='ingress', **rule)
        return conn.network.get_security_group(g.id)

    try:
        tcp = dict(protocol='tcp', ether_type='IPv4')
        names = {
            'db': group('db', [dict(tcp, port_range_min=5432, port_range_max=5432, remote_ip_prefix=SUBNET)]).name,
            'xpipe': group('xpipe', [dict(tcp, port_range_min=8080, port_range_max=8080,
                                          remote_ip_prefix=SUBNET)]).name,
            'open': group('open', [dict(tcp, port_range_min=5432, port_range_max=5432, remote_ip_prefix=SUBNET),
                                   dict(tcp, port_range_min=5432, port_range_max=5432,
                                        remote_ip_prefix='0.0.0.0/0')]).name,
            'no8080': group('no8080', [dict(tcp, port_range_min=5432, port_range_max=5432,
                                            remote_ip_prefix=SUBNET)]).name,
            'v6': group('v6', [dict(protocol='tcp', ether_type='IPv6', port_range_min=22, port_range_max=22,
                                    remote_ip_prefix='::/0')]).name,
        }
        yield names
    finally:
        for g in made['groups']:
            conn.network.delete_security_group(g.id, ignore_missing=True)


@pytest.fixture(scope='module')
def server(conn, lab):
    """A server on its own network, attached to the db group only."""
    prefix = lab['db'][:-len('-db')]
    made = {'server': None, 'network': None}
    try:
        net = made['network'] = conn.network.create_network(name=prefix + '-net')
        conn.network.create_subnet(name=prefix + '-subnet', network_id=net.id, ip_version=4, cidr=SUBNET)
        image = list(conn.image.images())[0]
        flavor = sorted(conn.compute.flavors(), key=lambda f: (f.ram, f.vcpus))[0]
        srv = made['server'] = conn.compute.create_server(
            name=prefix + '-srv', image_id=image.id, flavor_id=flavor.id, networks=[{'uuid': net.id}],
            security_groups=[{'name': lab['db']}])
        srv = conn.compute.wait_for_server(srv, status='ACTIVE', failures=['ERROR'], wait=180)
        yield srv.name
    finally:
        if made['server'] is not None:
            conn.compute.delete_server(made['server'].id, ignore_missing=True)
            conn.compute.wait_for_delete(made['server'], wait=120)
        if made['network'] is not None:
            deadline = time.monotonic() + 60
            for port in conn.network.ports(network_id=made['network'].id):
                if port.device_owner and not port.device_owner.startswith('network:dhcp'):
                    conn.network.delete_port(port.id, ignore_missing=True)
            for subnet in conn.network.subnets(network_id=made['network'].id):
                while True:
                    try:
                        conn.network.delete_subnet(subnet.id, ignore_missing=True)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(2)
            conn.network.delete_network(made['network'].id, ignore_missing=True)


# -- the tests -----------------------------------------------------------------------------------

def test_passes_on_correct_groups_in_check_mode_too(lab, tmp_path):
    args = {'security_groups': [lab['db'], lab['xpipe']],
            'required_rules': [{'security_group': lab['db'], 'port': 5432, 'remote_ip_prefix': SUBNET},
                               {'security_group': lab['xpipe'], 'port': 8080, 'remote_ip_prefix': SUBNET}]}
    real = audit(tmp_path, **args)
    assert not real.get('failed'), real.get('msg')
    assert real['ok'] is True and real['changed'] is False and real['findings'] == []
    assert sorted(c['name'] for c in real['checks']) == sorted(
        'security_group:%s' % lab[k] for k in ('db', 'xpipe'))
    checked = audit(tmp_path, check=True, **args)
    assert checked['changed'] is False and checked['findings'] == real['findings']


def test_catches_5432_open_to_the_world_and_its_fix_works(lab, conn, tmp_path):
    args = {'security_groups': [lab['open']],
            'required_rules': [{'port': 5432, 'remote_ip_prefix': SUBNET}]}
    result = audit(tmp_path, **args)
    assert result.get('failed') and result['ok'] is False
    assert by_kind(result) == [('critical', 'sensitive_port_exposed', lab['open'])]
    finding = result['findings'][0]
    assert finding['rule']['remote_ip_prefix'] == '0.0.0.0/0' and finding['rule']['port_range_min'] == 5432
    world_rule = [r for r in conn.network.get_security_group(
        conn.network.find_security_group(lab['open']).id).security_group_rules
        if r['remote_ip_prefix'] == '0.0.0.0/0' and r['direction'] == 'ingress'][0]
    assert finding['rule']['id'] == world_rule['id']
    assert 'sensitive_port_exposed' in result['msg'] and 'state=absent' in result['msg']
    apply_fixes(tmp_path, result['findings'])
    again = audit(tmp_path, **args)
    assert again['ok'] is True and again['findings'] == [], again.get('msg')


def test_catches_a_missing_8080_rule_and_its_fix_works(lab, tmp_path):
    args = {'security_groups': [lab['no8080']],
            'required_rules': [{'port': 5432, 'remote_ip_prefix': SUBNET},
                               {'port': 8080, 'remote_ip_prefix': SUBNET}]}
    result = audit(tmp_path, **args)
    assert result.get('failed')
    assert by_kind(result) == [('high', 'missing_rule', lab['no8080'])]
    fix = result['findings'][0]['fix']['openstack.cloud.security_group_rule']
    assert (fix['port_range_min'], fix['port_range_max'], fix['remote_ip_prefix'], fix['state']) == (
        8080, 8080, SUBNET, 'present')
    apply_fixes(tmp_path, result['findings'])
    again = audit(tmp_path, **args)
    assert again['ok'] is True and again['findings'] == [], again.get('msg')


def test_catches_a_server_without_its_group(lab, server, tmp_path):
    result = audit(tmp_path, servers=[server], expected_groups=[lab['db'], lab['xpipe']])
    assert result.get('failed')
    assert by_kind(result) == [('high', 'server_missing_group', lab['xpipe'])]
    fix = result['findings'][0]['fix']['openstack.cloud.server']
    assert fix['name'] == server and sorted(fix['security_groups']) == sorted([lab['db'], lab['xpipe']])
    ok = audit(tmp_path, servers=[server], expected_groups=[lab['db']])
    assert ok['ok'] is True and ok['findings'] == [], ok.get('msg')
    assert [c['name'] for c in ok['checks']][0] == 'server:%s' % server


def test_catches_an_ipv6_world_exposure(lab, tmp_path):
    result = audit(tmp_path, security_groups=[lab['v6']])
    assert result.get('failed')
    assert by_kind(result) == [('critical', 'sensitive_port_exposed', lab['v6'])]
    rule = result['findings'][0]['rule']
    assert (rule['ethertype'], rule['remote_ip_prefix'], rule['port_range_min']) == ('IPv6', '::/0', 22)
    report_only = audit(tmp_path, security_groups=[lab['v6']], fail_on_severity='none')
    assert not report_only.get('failed') and report_only['ok'] is False


def test_missing_group_and_server_are_findings_not_crashes(lab, tmp_path):
    result = audit(tmp_path, security_groups=['gpt371-sgt-does-not-exist'], servers=['gpt371-sgt-no-server'],
                   fail_on_severity='none')
    assert not result.get('failed'), result.get('msg')
    assert sorted(f['kind'] for f in result['findings']) == ['group_missing', 'server_missing']
