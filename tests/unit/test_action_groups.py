"""meta/runtime.yml's action groups: one module_defaults entry reaches openstack.cloud's modules and ours.

The roles set the cloud once per role through group/gpt371.infra.openstack (issue 11); a run against a cloud
name that does not exist shows which modules received it.
"""
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PLAY = '''
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/gpt371.infra.openstack:
      cloud: gpt371-no-such-cloud
  tasks:
    - {name: theirs, openstack.cloud.networks_info: {}, ignore_errors: true, register: theirs}
    - {name: ours, gpt371.infra.server_floating_ip: {server: x, network: y}, ignore_errors: true, register: ours}
    - name: both
      ansible.builtin.debug:
        msg: "{{ [theirs.msg, ours.msg] | to_json }}"
'''


def test_the_openstack_group_reaches_both_collections(tmp_path):
    play = tmp_path / 'play.yml'
    play.write_text(PLAY)
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               OS_CLIENT_CONFIG_FILE=str(tmp_path / 'clouds.yaml'))
    (tmp_path / 'clouds.yaml').write_text('clouds: {}\n')
    proc = subprocess.run([os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=' + sys.executable,
                           str(play)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.count('Cloud gpt371-no-such-cloud was not found') >= 2, proc.stdout[-3000:]


def _our_openstack_modules():
    import yaml
    with open(os.path.join(REPO, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        group = yaml.safe_load(handle)['action_groups']['openstack']
    return [entry for entry in group if isinstance(entry, str)]


def test_a_role_calling_our_openstack_modules_sets_their_group():
    """group/openstack.cloud.openstack does not reach our modules: a role that calls one of them sets the cloud
    through group/gpt371.infra.openstack (the verify role once listed its servers without a cloud)."""
    ours = _our_openstack_modules()
    assert 'deployment_servers_info' in ours and 'network_state' in ours
    roles = os.path.join(REPO, 'roles')
    missing = []
    for role in sorted(os.listdir(roles)):
        tasks = os.path.join(roles, role, 'tasks')
        if not os.path.isdir(tasks):
            continue
        texts = {name: open(os.path.join(tasks, name), encoding='utf-8').read() for name in os.listdir(tasks)}
        calls = sorted(m for m in ours for text in texts.values() if 'gpt371.infra.%s:' % m in text)
        if calls and 'group/gpt371.infra.openstack:' not in texts.get('main.yml', ''):
            missing.append('%s calls %s' % (role, ', '.join(sorted(set(calls)))))
    assert not missing, missing
