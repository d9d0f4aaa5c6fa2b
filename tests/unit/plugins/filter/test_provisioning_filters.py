# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provisioning filters as the roles call them: through ansible-playbook on localhost, no cloud.

- every filter file documents the filter it exports (ansible-doc reads it);
- a bad deployment name, agent count or CIDR fails the network/instances precheck before the first cloud call
  (the cloud named here does not exist, so any cloud call would fail differently), naming the option and a fix;
- the outputs role's check writes nothing and reports changed=0; its deploy is idempotent;
- the teardown role's precheck refuses a run without the confirmation before any cloud call.
"""
import json
import os
import re
import subprocess

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
FILTERS = ('deployment_name_errors', 'server_plan', 'server_state', 'network_plan', 'subnet_overlaps',
           'terraform_outputs', 'marked_resources', 'secgroup_state')
OPENSTACK_TASKS = re.compile(r'TASK \[gpt371\.infra\.\w+ : (Look up|List|Servers|Private|Router|Security)')


def playbook(tmp_path, role, extra=(), play_vars=None):
    book = tmp_path / 'play.yml'
    book.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'vars': play_vars or {},
                                     'roles': [{'role': 'gpt371.infra.' + role}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default', ANSIBLE_CALLBACK_RESULT_FORMAT='json')
    argv = [os.path.join(REPO, '.venv', 'bin', 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=' + os.path.join(REPO, '.venv', 'bin', 'python'),
            '-e', 'infra_cloud=gpt371-no-such-cloud', str(book)] + list(extra)
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False)


def recap(out):
    match = re.search(r'localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', out)
    assert match, out[-2000:]
    return dict(zip(('ok', 'changed', 'failed'), map(int, match.groups())))


@pytest.mark.parametrize('name', FILTERS)
def test_each_filter_file_documents_its_filter(name):
    path = os.path.join(REPO, 'plugins', 'filter', name + '.py')
    source = open(path, encoding='utf-8').read()
    doc = yaml.safe_load(re.search(r"DOCUMENTATION = r'''(.*?)'''", source, re.S).group(1))
    assert doc['name'] == name and doc['options']['_input']['required'] is True
    assert "return {'%s': %s}" % (name, name) in source


@pytest.mark.parametrize('role, extra, words', [
    ('network', ['-e', '{"infra_deployment": "bad name", "network_subnet_cidr": "10.10.0.5/24",'
                 ' "network_admin_cidr": "0.0.0.0/0"}'],
     ['network_deployment (infra_deployment) "bad name" is not a plain name', '(for example "bad-name")',
      'network_subnet_cidr "10.10.0.5/24" has host bits set; use 10.10.0.0/24',
      'network_admin_cidr 0.0.0.0/0 is the whole internet']),
    ('instances', ['-e', '{"infra_deployment": "bad/name", "instances_agent_security_groups": ["ssh", "mail"]}'],
     ['instances_deployment (infra_deployment) "bad/name"', 'purpose(s) mail']),
    # A key file named by mistake fails here, not at the key pair or the first SSH connection, after the network:
    # a path that does not exist, and a directory.
    ('instances', ['-e', '{"infra_deployment": "demo", "instances_public_key_file": "/nonexistent/gpt371.pub"}'],
     ['instances_public_key_file /nonexistent/gpt371.pub is not a file on the controller']),
    ('instances', ['-e', '{"infra_deployment": "demo", "instances_public_key": "ssh-ed25519 AAAAC3Nz gpt371",'
                   ' "instances_private_key_file": "/"}'],
     ['instances_private_key_file / is not a file on the controller']),
])
def test_bad_input_fails_before_any_cloud_call(tmp_path, role, extra, words):
    run = playbook(tmp_path, role, extra)
    assert run.returncode != 0
    text = re.sub(r'\s+', ' ', run.stdout)
    assert all(w in text for w in words), run.stdout[-3000:]
    assert 'Nothing was created.' in run.stdout
    assert not OPENSTACK_TASKS.search(run.stdout), run.stdout
    assert 'gpt371-no-such-cloud' not in run.stdout
    assert recap(run.stdout)['changed'] == 0


def test_teardown_without_confirmation_touches_nothing(tmp_path):
    run = playbook(tmp_path, 'teardown', ['-e', 'infra_deployment=demo'])
    assert run.returncode != 0 and '-e teardown_confirm=demo' in re.sub(r'\s+', ' ', run.stdout)
    assert 'Nothing was deleted.' in run.stdout and 'gpt371-no-such-cloud' not in run.stdout


def test_teardown_check_needs_no_confirmation(tmp_path):
    run = playbook(tmp_path, 'teardown', ['-e', 'infra_deployment=demo', '-e', 'infra_action=check'])
    # It gets past the precheck to the first lookup, which needs the cloud named by infra_cloud.
    assert 'Cloud gpt371-no-such-cloud was not found' in run.stdout, run.stdout[-3000:]
    assert "Servers carrying the deployment's mark" in run.stdout


OUTPUT_VARS = {
    'network_outputs': {'network_id': 'n1', 'subnet_id': 's1', 'router_id': 'r1', 'subnet_cidr': '10.10.0.0/24',
                        'security_groups': {'demo-db': 'g1'}},
    'instances_outputs': {'deployment': 'demo', 'keypair_name': 'demo-key', 'private_key_file': '/k',
                          'servers': {'core': {'name': 'demo-core', 'id': 'i1', 'private_v4': '10.10.0.4'}},
                          'agent_instance_ips': ['10.10.0.20'], 'floating_ips': {'core': '203.0.113.9'}},
    'outputs_database_password': 's3cret', 'outputs_storage_access_key': '', 'outputs_storage_secret_key': '',
}


def test_outputs_check_writes_nothing_and_deploy_is_idempotent(tmp_path):
    target = tmp_path / 'out' / 'demo.json'
    play_vars = dict(OUTPUT_VARS, outputs_file=str(target))
    check = playbook(tmp_path, 'outputs', ['-e', 'infra_action=check'], play_vars)
    assert check.returncode == 0 and recap(check.stdout)['changed'] == 0 and not target.parent.exists()
    assert 'is missing; it would hold' in check.stdout
    first = playbook(tmp_path, 'outputs', [], play_vars)
    # One task makes the directory (0700) and the file (0600).
    assert first.returncode == 0 and recap(first.stdout)['changed'] == 1
    assert oct(target.parent.stat().st_mode & 0o777) == '0o700'
    data = json.loads(target.read_text())
    assert data['core_instance_ip'] == {'value': '10.10.0.4', 'sensitive': False, 'type': 'string'}
    assert data['database_password']['sensitive'] is True and oct(target.stat().st_mode & 0o777) == '0o600'
    assert 's3cret' not in first.stdout
    again = playbook(tmp_path, 'outputs', [], play_vars)
    assert again.returncode == 0 and recap(again.stdout)['changed'] == 0
    check = playbook(tmp_path, 'outputs', ['-e', 'infra_action=check'], play_vars)
    assert recap(check.stdout)['changed'] == 0 and 'differs from' not in check.stdout
    target.write_text(target.read_text().replace('10.10.0.4', '10.10.0.99'))
    check = playbook(tmp_path, 'outputs', ['-e', 'infra_action=check'], play_vars)
    assert 'differs from' in check.stdout and '10.10.0.99' in target.read_text()


def test_outputs_precheck_alone_needs_no_provisioning_facts(tmp_path):
    """provision.yml -e infra_action=precheck: network and instances set no facts in precheck."""
    target = tmp_path / 'demo.json'
    run = playbook(tmp_path, 'outputs', ['-e', 'infra_action=precheck'], {'outputs_file': str(target)})
    assert run.returncode == 0 and recap(run.stdout)['changed'] == 0 and not target.exists()
    run = playbook(tmp_path, 'outputs', [], {'outputs_file': str(target)})
    assert run.returncode != 0 and 'run gpt371.infra.network and gpt371.infra.instances' in run.stdout
