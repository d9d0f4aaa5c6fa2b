# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller reaches the servers the way a real OpenStack forces it (issue 12, items 6 and 8), on the lab in
strict mode: fixed IPs unreachable from this machine, only floating IPs are.

One small deployment ``gpt371-a<random>`` (no agents), in file order:
  * site.yml with infra_access=bastion succeeds while a direct TCP connection from here to every fixed IP fails:
    every server but core was reached through core's floating IP (ssh -W ProxyCommand, no -F file), with host keys
    pinned from the console logs (StrictHostKeyChecking=yes, ansible.cfg no longer turns checking off); times of
    create -> SSH-ready through the bastion, the first run and the no-op re-run are printed;
  * the dynamic inventory (inventories/openstack/) in a fresh state dir, as an AWX job has: it pins the keys from
    the consoles itself and `ansible -m ping` reaches every host through the bastion;
  * a server rebuilt (same ID and fixed IP, a new host key): provision.yml fails, quickly and without hanging,
    naming the server, the address and the switch; with -e instances_accept_new_host_keys=true it pins the new key
    (the one the console shows) and reaches the server again.
The module fixture switches the lab to strict mode (`lab.sh up` with LAB_STRICT=1, seconds), and tears the
deployment down and puts the lab's default mode back whatever happens.
"""
import json
import os
import re
import subprocess
import time

import pytest
from lab_playbook import (RECAP, REPO, SLOW, VENV_BIN, changed_tasks, inventory_value, lab_switch, new_deployment,
                          run_playbook, tcp_open)

# A deployment of its own and three site/provision runs: about 21 min of make test's 90 (CI at 2644762 took
# 94 min with it). test_site.py checks the same path on its deployment (through core's floating IP, fixed IPs
# unreachable); the console-pinning inventory and the rebuilt server's new key run here, on demand.
pytestmark = SLOW

STATE = os.path.join(REPO, 'lab', '.state')
OUTPUTS = os.path.join(REPO, 'outputs')  # inventories/local's infra_state_dir
CLOUDS_YAML = os.path.join(STATE, 'clouds.yaml')
BASTION = ['infra_access=bastion']
# profile_tasks: each task header followed by a line ending in the run's elapsed time (H:MM:SS.mmm).
ELAPSED = re.compile(r'^TASK \[([^\]]+)\].*\n.*\s(\d+):(\d\d):(\d\d\.\d+)\s\*+\s*$', re.M)


def timed(name, deployment, *extra):
    """run_playbook with profile_tasks (task start times in the output); also the wall time."""
    old = os.environ.get('ANSIBLE_CALLBACKS_ENABLED')
    os.environ['ANSIBLE_CALLBACKS_ENABLED'] = 'gpt371.infra.plan,ansible.posix.profile_tasks'
    started = time.monotonic()
    try:
        code, output, recap = run_playbook(name, deployment, *extra)
    finally:
        if old is None:
            os.environ.pop('ANSIBLE_CALLBACKS_ENABLED', None)
        else:
            os.environ['ANSIBLE_CALLBACKS_ENABLED'] = old
    return code, output, recap, time.monotonic() - started


def seconds_between(output, first, after):
    """Seconds from the start of task `first` to the start of the task following `after` (profile_tasks)."""
    marks = [(m.group(1), int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4)))
             for m in ELAPSED.finditer(output)]
    start = next(t for name, t in marks if name.endswith(first))
    index = max(i for i, (name, _t) in enumerate(marks) if name.endswith(after))
    return marks[index + 1][1] - start if index + 1 < len(marks) else None


def servers_of(conn, name):
    return {s.name: s for s in conn.compute.servers() if (s.metadata or {}).get('gpt371_deployment') == name}


def fixed_ip(server):
    return next(a['addr'] for net in server.addresses.values() for a in net if a.get('OS-EXT-IPS:type') == 'fixed')


def known_hosts_path(deployment):
    return os.path.join(OUTPUTS, deployment['name'] + '_known_hosts')


@pytest.fixture(scope='module')
def access(lab_up):
    assert os.path.exists(lab_up)
    build = subprocess.run(['bash', os.path.join(REPO, 'examples', 'reference-stack', 'build.sh')],
                           capture_output=True, text=True, timeout=1800, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    lab_switch(LAB_STRICT='1')
    info = new_deployment('gpt371-a')
    try:
        yield info
    finally:
        try:
            run_playbook('teardown.yml', info, 'teardown_confirm=' + info['name'])
            for suffix in ('_known_hosts', '_id_ed25519', '_id_ed25519.pub'):
                path = os.path.join(OUTPUTS, info['name'] + suffix)
                if os.path.exists(path):
                    os.remove(path)
        finally:
            lab_switch()  # the lab's default mode


def test_site_yml_through_the_bastion_with_fixed_ips_unreachable(access, conn):
    code, output, recap, took = timed('site.yml', access, 'agent_count=0', *BASTION)
    assert code == 0, output[-8000:]
    servers = servers_of(conn, access['name'])
    core = servers.pop(access['name'] + '-core')
    assert servers, 'the deployment has servers behind the bastion'
    for name, server in sorted(servers.items()):
        assert not tcp_open(fixed_ip(server)), '%s: the controller reaches its fixed IP: the lab is not strict' % name
        assert not [a for net in server.addresses.values() for a in net if a.get('OS-EXT-IPS:type') == 'floating']
    assert not tcp_open(fixed_ip(core))
    # Every server was a host of the run, reached (unreachable=0) and green.
    for name in list(servers) + [core.name]:
        assert name in recap, name
    assert all(int(m.group(4)) == 0 and int(m.group(5)) == 0 for m in RECAP.finditer(output)), output[-4000:]
    # Pinned: one line per key and address, from the console; no ssh -F file any more.
    with open(known_hosts_path(access), encoding='utf-8') as handle:
        pinned = handle.read()
    for server in list(servers.values()) + [core]:
        assert re.search(r'^%s ssh-ed25519 \S+ gpt371:%s:%s launched=%s$' % (
            re.escape(fixed_ip(server)), server.name, server.id, re.escape(server.launched_at)), pinned, re.M), pinned
    assert not os.path.exists(os.path.join(OUTPUTS, access['name'] + '_ssh_config'))
    ready = seconds_between(output, 'instances : Servers', 'instances : Wait for SSH on the servers this run brought up')
    print('strict mode: site.yml first run %.0f s; create -> SSH-ready through the bastion %.0f s (%d servers)'
          % (took, ready or -1, len(servers) + 1))
    access['first_run'] = took

    code, output, recap, again = timed('site.yml', access, 'agent_count=0', *BASTION)
    assert code == 0, output[-8000:]
    assert {host: changed for host, changed in recap.items() if host != 'localhost'} == dict.fromkeys(
        [name for name in recap if name != 'localhost'], 0), (recap, changed_tasks(output))
    print('strict mode: site.yml no-op re-run %.0f s' % again)


def test_dynamic_inventory_pins_from_the_console_and_reaches_every_host(access, tmp_path):
    """A fresh state dir, as an AWX job has: no known_hosts yet, no -F file; the key from the environment."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=CLOUDS_YAML,
               OS_CLOUD='gpt371-lab', GPT371_DEPLOYMENT=access['name'], GPT371_ACCESS='bastion',
               GPT371_STATE_DIR=str(tmp_path), ANSIBLE_NOCOLOR='1',
               GPT371_PRIVATE_KEY_FILE=os.path.join(OUTPUTS, access['name'] + '_id_ed25519'))
    inventory = os.path.join(REPO, 'inventories', 'openstack', 'deployment.yml')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible'), '-i', inventory, 'all', '-m', 'ansible.builtin.ping',
                           '-o'], cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert proc.stdout.count('SUCCESS') >= 2, proc.stdout
    written = (tmp_path / (access['name'] + '_known_hosts')).read_text()
    with open(known_hosts_path(access), encoding='utf-8') as handle:
        role_file = handle.read()
    assert sorted(written.splitlines()) == sorted(role_file.splitlines())  # the same keys, read again
    listed = subprocess.run([os.path.join(VENV_BIN, 'ansible-inventory'), '-i', inventory, '--list'], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300, check=True)
    hostvars = json.loads(listed.stdout)['_meta']['hostvars']
    args = inventory_value(hostvars[access['name'] + '-supabase']['ansible_ssh_common_args'])
    assert 'ProxyCommand=ssh -W %h:%p' in args and 'StrictHostKeyChecking=yes' in args and '-F' not in args.split()


def test_a_rebuilt_server_with_a_new_key_fails_clearly_then_is_accepted(access, conn):
    server = servers_of(conn, access['name'])[access['name'] + '-supabase']
    address = fixed_ip(server)
    with open(known_hosts_path(access), encoding='utf-8') as handle:
        old_keys = re.findall(r'^%s (\S+ \S+)' % re.escape(address), handle.read(), re.M)
    assert old_keys
    conn.compute.rebuild_server(server, image=server.image['id'])
    time.sleep(3)
    server = conn.compute.wait_for_server(conn.compute.get_server(server.id), status='ACTIVE', wait=300)
    assert fixed_ip(server) == address  # same server, same address: only the host key changed
    console = conn.compute.get_server_console_output(server.id)['output']
    new_key = re.search(r'^(ssh-ed25519 \S+)', console.split('-----BEGIN SSH HOST KEY KEYS-----')[-1], re.M)
    assert new_key and new_key.group(1) not in old_keys

    started = time.monotonic()
    code, output, _recap = run_playbook('provision.yml', access, 'agent_count=0', *BASTION)
    failed_after = time.monotonic() - started
    said = ' '.join(output.split())
    assert code != 0
    assert 'host key of %s (server %s, id %s) differs' % (address, server.name, server.id) in said, output[-4000:]
    assert '-e instances_accept_new_host_keys=true' in said and 'ssh-keygen -R %s' % address in said
    assert 'Nothing was written' in said
    with open(known_hosts_path(access), encoding='utf-8') as handle:
        assert new_key.group(1) not in handle.read()  # never trusted silently
    assert failed_after < 600, 'the run must fail, not hang'

    code, output, recap = run_playbook('provision.yml', access, 'agent_count=0', *BASTION,
                                       'instances_accept_new_host_keys=true')
    assert code == 0, output[-6000:]
    assert server.name in recap  # reached again ("Gather the facts the later plays use, over SSH"), through the bastion
    with open(known_hosts_path(access), encoding='utf-8') as handle:
        pinned = handle.read()
    assert '%s %s gpt371:%s:%s' % (address, new_key.group(1), server.name, server.id) in pinned
    assert not [key for key in old_keys if key in pinned]
    print('rebuilt server: the run failed after %.0f s naming the fix' % failed_after)
