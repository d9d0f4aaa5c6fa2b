# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's playbooks against the lab the way a user does (local inventory, repository ansible.cfg)."""
import os
import random
import re
import socket
import subprocess
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
RECAP = re.compile(r'^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
PLAYBOOK_TIMEOUT = 2400
# Lab tests that make test's 90-minute budget cannot hold yet (each says what it costs); run them with
# GPT371_LAB_SLOW=1 pytest tests/lab/<file>.
SLOW = pytest.mark.skipif(os.environ.get('GPT371_LAB_SLOW') != '1', reason='slow lab test: GPT371_LAB_SLOW=1')


def children_cpu():
    """CPU seconds (user and system) of the processes this one has waited for: timed around a run_playbook, the
    controller's own share (ansible-playbook, its workers and ssh clients; the lab's servers are not children)."""
    times = os.times()
    return times.children_user + times.children_system


def new_deployment(prefix):
    """A fresh deployment name and a /24 no other test's Docker network holds."""
    return {'name': prefix + uuid.uuid4().hex[:6],
            'cidr': '10.%d.%d.0/24' % (random.randint(150, 199), random.randint(0, 255))}


def run_playbook(name, deployment, *extra, check=False, collections=None):
    """Run playbooks/<name> with the local (lab) inventory; return (returncode, output, {host: changed}).

    collections: a collections path holding another copy of gpt371.infra (a benchmark's older revision): its
    playbooks and roles run instead of the checkout's, with the same inventory and lab.
    """
    home = os.path.join(collections, 'ansible_collections', 'gpt371', 'infra') if collections else REPO
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), os.path.join(home, 'playbooks', name),
           '-e', 'infra_deployment=' + deployment['name'],
           '-e', 'network_subnet_cidr=' + deployment['cidr']]
    for item in extra:
        cmd += ['-e', item]
    if check:
        cmd.append('--check')
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''))
    for var in ('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE', 'OS_AUTH_URL'):
        env.pop(var, None)
    if collections:
        env['ANSIBLE_COLLECTIONS_PATH'] = collections
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT,
                          check=False)
    output = proc.stdout + proc.stderr
    recap = {match.group(1): int(match.group(3)) for match in RECAP.finditer(output)}
    return proc.returncode, output, recap


def lab_switch(**switches):
    """`lab.sh up` on the running lab with these network switches (LAB_STRICT, LAB_REACH_FIXED_IPS,
    LAB_SECGROUPS; unnamed ones take the lab's defaults), the lab's delays kept: only the network mode changes."""
    with open(os.path.join(REPO, 'lab', '.state', 'delays'), encoding='utf-8') as handle:
        delays = dict(kv.split('=') for kv in handle.read().split())
    env = dict(os.environ, LAB_EVENT_DELAY=delays['event'], LAB_BOOT_DELAY=delays['boot'], **switches)
    for name in ('LAB_STRICT', 'LAB_REACH_FIXED_IPS', 'LAB_SECGROUPS'):
        if name not in switches:
            env.pop(name, None)
    proc = subprocess.run(['bash', os.path.join(REPO, 'lab', 'lab.sh'), 'up'], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr


def tcp_open(host, port=22, timeout=2.0):
    """True when a TCP connection from this machine to host:port opens (False: dropped or refused)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def changed_tasks(output):
    """'TASK name -> host' for every task that reported changed in a playbook's output: what an idempotence
    assertion shows when a re-run was not a no-op."""
    found, task = [], None
    for line in output.splitlines():
        if line.startswith('TASK ['):
            task = line[6:line.rfind(']')]
        elif line.startswith('changed: [') and task:
            found.append('%s -> %s' % (task, line[10:line.index(']')]))
    return found


def task_runs(output, task):
    """How many times the task named exactly ``task`` ('role : name') ran for some host (ok, changed or failed;
    a task whose every host was skipped did not run): what a no-op assertion counts calls with."""
    runs, current = 0, None
    for line in output.splitlines():
        if line.startswith('TASK ['):
            current = line[6:line.rfind(']')] == task
            counted = False
        elif current and not counted and line.startswith(('ok: [', 'changed: [', 'fatal: [', 'failed: [')):
            runs += 1
            counted = True
    return runs


def inventory_value(value):
    """A hostvar from `ansible-inventory --list`, which marks templated values {"__ansible_unsafe": ...}."""
    return value['__ansible_unsafe'] if isinstance(value, dict) else value
