# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/provision.yml, scale.yml and teardown.yml against the lab OpenStack cloud (real Keystone, Neutron,
Nova with the container compute driver), as the lab's non-admin user, through the local inventory.

One deployment ``gpt371-t<random>`` goes through, in file order:
  provision (agent_count=3) twice -> the second recap reports changed=0 on every host; ``--check`` -> changed=0;
  secgroup_check passes on the groups the network role built (and the servers hold their groups);
  scale 3 -> 5 -> 2 -> only agent servers appear or go (other servers, network, subnet, router, groups keep their ids);
  teardown without confirmation fails naming ``teardown_confirm``; teardown -> nothing of the deployment is left,
  a second, tiny deployment (network + group with another mark) is untouched; a second teardown changes nothing.
The module fixture tears the deployment down whatever happens.
"""
import json
import os
import re
import subprocess
import time
import uuid

import pytest
from lab_playbook import REPO, VENV_BIN, new_deployment, run_playbook

CLOUDS_YAML = os.path.join(REPO, 'lab', '.state', 'clouds.yaml')
FIXED = ('core', 'xpipe', 'kespa', 'supabase')


def servers_of(conn, deployment):
    return {server.name: server for server in conn.compute.servers()
            if (server.metadata or {}).get('gpt371_deployment') == deployment['name']}


def snapshot(conn, deployment):
    """Ids of everything that scaling must not touch: non-agent servers, network, subnet, router, groups."""
    prefix = deployment['name'] + '-'
    tag = 'deployment=' + deployment['name']
    return {
        'servers': {name: server.id for name, server in servers_of(conn, deployment).items()
                    if server.metadata.get('gpt371_role') != 'agent'},
        'networks': sorted(net.id for net in conn.network.networks() if tag in (net.tags or [])),
        'subnets': sorted(sub.id for sub in conn.network.subnets() if sub.name.startswith(prefix)),
        'routers': sorted(router.id for router in conn.network.routers() if tag in (router.tags or [])),
        'security_groups': sorted(group.id for group in conn.network.security_groups()
                                  if group.name.startswith(prefix)),
    }


def outputs_of(deployment):
    with open(os.path.join(REPO, 'outputs', deployment['name'] + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


@pytest.fixture(scope='module')
def deployment(lab_up):
    """A fresh deployment name and a /24 no earlier run's Docker network holds; torn down at the end."""
    assert os.path.exists(lab_up)
    info = new_deployment('gpt371-t')
    yield info
    run_playbook('teardown.yml', info, 'teardown_confirm=' + info['name'])


@pytest.fixture(scope='module')
def other_deployment(conn):
    """A tiny second deployment: a network tagged with another mark and a group described with it."""
    name = 'gpt371-o' + uuid.uuid4().hex[:6]
    net = conn.network.create_network(name=name + '-net')
    conn.network.set_tags(net, ['gpt371', 'deployment=' + name])
    group = conn.network.create_security_group(name=name + '-ssh', description='ssh (gpt371 deployment=%s)' % name)
    yield {'name': name, 'network_id': net.id, 'security_group_id': group.id}
    conn.network.delete_security_group(group, ignore_missing=True)
    conn.network.delete_network(net, ignore_missing=True)


def test_provision_twice_second_run_changes_nothing(deployment, conn):
    code, output, recap = run_playbook('provision.yml', deployment, 'agent_count=3')
    assert code == 0, output[-6000:]
    code, output, recap = run_playbook('provision.yml', deployment, 'agent_count=3')
    assert code == 0, output[-6000:]
    assert recap.get('localhost') == 0, output[-6000:]
    names = set(servers_of(conn, deployment))
    assert names == {deployment['name'] + '-' + name
                     for name in FIXED + ('agent-server-0', 'agent-server-1', 'agent-server-2')}
    for name in names:  # every server reached over SSH in the play on the new hosts, with nothing changed
        assert recap.get(name) == 0, output[-6000:]
    outputs = outputs_of(deployment)
    for key in ('supabase_instance_ip', 'xpipe_instance_ip', 'kespa_instance_ip', 'core_instance_ip',
                'api_floating_ip', 'storage_endpoint', 'database_user', 'network_id', 'subnet_cidr'):
        assert key in outputs and set(outputs[key]) == {'value', 'sensitive', 'type'}, key
    assert outputs['subnet_cidr']['value'] == deployment['cidr']
    assert len(outputs['agent_instance_ips']['value']) == 3
    assert outputs['agent_instance_ips']['type'] == ['list', 'string']
    core = servers_of(conn, deployment)[deployment['name'] + '-core']
    port = next(conn.network.ports(device_id=core.id))
    fips = list(conn.network.ips(port_id=port.id))
    assert [fip.floating_ip_address for fip in fips] == [outputs['api_floating_ip']['value']]
    # Waited for until Nova lists it (the lab sends Neutron's events 15 s apart): later reads see it.
    assert fips[0].floating_ip_address in floating_in_nova(conn.compute.get_server(core.id))
    assert os.stat(os.path.join(REPO, 'outputs', deployment['name'] + '.json')).st_mode & 0o077 == 0


def floating_in_nova(server):
    return [a['addr'] for entries in (server.addresses or {}).values() for a in entries
            if a.get('OS-EXT-IPS:type') == 'floating']


def run_floating_ip_module(server, timeout):
    args = 'server=%s network=public timeout=%d' % (server, timeout)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               OS_CLIENT_CONFIG_FILE=CLOUDS_YAML, OS_CLOUD='gpt371-lab')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible'), 'localhost', '-m', 'gpt371.infra.server_floating_ip',
                           '-a', args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_floating_ip_wait_is_bounded_and_a_rerun_keeps_the_address(deployment, conn):
    """A new address that Nova has not listed yet: the bounded wait fails with what to check, and no Python
    error (openstack.cloud.floating_ip crashed here on 'NoneType' ... 'to_dict'); the re-run finds the address in
    Neutron instead of adding a second one, and waits until Nova lists it."""
    core = servers_of(conn, deployment)[deployment['name'] + '-core']
    port = next(conn.network.ports(device_id=core.id))
    for fip in conn.network.ips(port_id=port.id):
        conn.network.delete_ip(fip)
    # Neutron may hand the same address out again: start once Nova has dropped the old one (bounded).
    deadline = time.monotonic() + 60
    while floating_in_nova(conn.compute.get_server(core.id)) and time.monotonic() < deadline:
        time.sleep(1)
    assert not floating_in_nova(conn.compute.get_server(core.id))
    code, output = run_floating_ip_module(core.name, timeout=2)
    assert code != 0, output
    assert 'is attached to port %s' % port.id in output and 'Nova still shows' in output, output
    assert 'Traceback' not in output and 'to_dict' not in output, output
    attached = [fip.floating_ip_address for fip in conn.network.ips(port_id=port.id)]
    assert len(attached) == 1
    code, output = run_floating_ip_module(core.name, timeout=60)
    assert code == 0, output
    assert '"changed": false' in output and attached[0] in output, output
    assert [fip.floating_ip_address for fip in conn.network.ips(port_id=port.id)] == attached
    assert attached[0] in floating_in_nova(conn.compute.get_server(core.id))


def test_check_mode_run_changes_nothing(deployment):
    code, output, recap = run_playbook('provision.yml', deployment, 'agent_count=3', check=True)
    assert code == 0, output[-6000:]
    assert recap and all(changed == 0 for changed in recap.values()), output[-6000:]


def test_secgroup_check_passes_on_the_network_roles_groups(deployment, tmp_path):
    prefix = deployment['name'] + '-'
    playbook = tmp_path / 'audit.yml'
    playbook.write_text(json.dumps([{
        'name': 'Audit', 'hosts': 'localhost', 'gather_facts': False,
        'environment': '{{ infra_environment }}',
        'roles': [{'role': 'gpt371.infra.network', 'vars': {'network_action': 'check'}}],
        'tasks': [{'name': 'Servers hold their groups', 'gpt371.infra.secgroup_check': {
            'cloud': 'gpt371-lab', 'servers': [prefix + 'supabase', prefix + 'xpipe'],
            'expected_groups': [prefix + 'ssh']}, 'register': 'servers_audit'},
            {'name': 'Show', 'ansible.builtin.debug': {'var': 'network_check_result'}}],
    }]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), str(playbook),
                           '-i', os.path.join(REPO, 'inventories', 'local', 'hosts.yml'),
                           '-e', 'infra_deployment=' + deployment['name'],
                           '-e', 'network_subnet_cidr=' + deployment['cidr']],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert 'Audit the security groups against the declaration' in proc.stdout
    assert re.search(r'localhost\s*:\s*ok=\d+\s+changed=0\s+unreachable=0\s+failed=0', proc.stdout)


def test_dynamic_inventory_has_the_same_groups(deployment, tmp_path):
    """inventories/openstack/ filtered to this deployment gives the groups add_host gave, at the private IPs."""
    with open(os.path.join(REPO, 'inventories', 'openstack', 'gpt371.openstack.yml'), encoding='utf-8') as handle:
        text = handle.read()
    text = text.replace("'gpt371'", "'%s'" % deployment['name']).replace('^gpt371-', '^%s-' % deployment['name'])
    source = tmp_path / 'test.openstack.yml'
    source.write_text(text)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=CLOUDS_YAML)
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-inventory'), '-i', str(source), '--list'], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    inventory = json.loads(proc.stdout)
    prefix = deployment['name'] + '-'
    expected = {'core': ['core'], 'xpipe': ['xpipe'], 'kespa': ['kespa'], 'database': ['supabase'],
                'agents': ['agent-server-0', 'agent-server-1', 'agent-server-2']}
    for group, names in expected.items():
        assert sorted(inventory[group]['hosts']) == sorted(prefix + name for name in names), group
    assert sorted(inventory['app']['hosts']) == sorted(
        prefix + name for name in ('core', 'xpipe', 'kespa', 'agent-server-0', 'agent-server-1', 'agent-server-2'))
    outputs = outputs_of(deployment)
    hostvars = inventory['_meta']['hostvars']
    for name, key in (('supabase', 'supabase_instance_ip'), ('core', 'core_instance_ip')):
        host = hostvars[prefix + name]['ansible_host']
        if isinstance(host, dict):  # ansible-inventory --list marks templated values {"__ansible_unsafe": ...}
            host = host['__ansible_unsafe']
        assert host == outputs[key]['value'], name


def test_scaling_changes_only_agents(deployment, conn):
    before = snapshot(conn, deployment)
    assert len(before['servers']) == 4 and before['networks'] and before['routers'] and before['subnets']
    assert len(before['security_groups']) == 4
    for count in (5, 2):
        code, output, recap = run_playbook('scale.yml', deployment, 'agent_count=%d' % count,
                                           'scale_provision_only=true')
        assert code == 0, output[-6000:]
        agents = sorted(name for name, server in servers_of(conn, deployment).items()
                        if server.metadata.get('gpt371_role') == 'agent')
        assert agents == sorted('%s-agent-server-%d' % (deployment['name'], index) for index in range(count))
        assert snapshot(conn, deployment) == before, 'scaling to %d touched more than agents' % count
        assert len(outputs_of(deployment)['agent_instance_ips']['value']) == count
        assert recap.get('localhost', 0) >= 1


def test_teardown_needs_confirmation(deployment):
    code, output, recap = run_playbook('teardown.yml', deployment)
    assert code != 0 and 'teardown_confirm' in output
    assert recap.get('localhost') == 0


def test_teardown_removes_only_this_deployment(deployment, other_deployment, conn):
    code, output, recap = run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'])
    assert code == 0, output[-6000:]
    assert recap.get('localhost', 0) >= 1
    prefix = deployment['name'] + '-'
    tag = 'deployment=' + deployment['name']
    assert not servers_of(conn, deployment)
    assert not [net for net in conn.network.networks() if tag in (net.tags or []) or net.name.startswith(prefix)]
    assert not [sub for sub in conn.network.subnets() if sub.name.startswith(prefix)]
    assert not [router for router in conn.network.routers() if router.name.startswith(prefix)]
    assert not [group for group in conn.network.security_groups() if group.name.startswith(prefix)]
    assert not [key for key in conn.compute.keypairs() if key.name.startswith(prefix)]
    assert not os.path.exists(os.path.join(REPO, 'outputs', deployment['name'] + '.json'))
    # the second deployment is untouched
    assert conn.network.get_network(other_deployment['network_id']).id == other_deployment['network_id']
    assert conn.network.get_security_group(other_deployment['security_group_id'])
    # a second teardown is a no-op
    code, output, recap = run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'])
    assert code == 0, output[-6000:]
    assert recap.get('localhost') == 0, output[-6000:]
