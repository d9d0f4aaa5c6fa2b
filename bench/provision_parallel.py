"""Provision time for 1, 4 and 8 servers, from one run: do N servers cost about one (issue 15, item 3)?

Usage: .venv/bin/python bench/provision_parallel.py [SIZES]   (default 1,4,8)
       GPT371_BENCH_REF=<commit>: the playbooks and roles of that commit (a throw-away worktree), e.g. b123073 for
       the servers created one after another.
Each size: a new deployment (gpt371-p<hex>, a random 10.2xx.x.0/24) with the fixed server core (its floating IP)
and SIZE-1 agents, provision.yml timed (no deployment lock), then teardown.yml. Prints each size's provision time
and the instances role's share (ansible.posix.profile_roles), then the ratio of the largest size to 1 (target
<= 1.5) and the load average. The lab must be up; this never starts or stops it.
"""
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lab'))
sys.path.insert(0, HERE)
import lab_playbook  # noqa: E402
from fresh_provisions import first_error, worktree  # noqa: E402

# profile_roles' recap names a role without its collection ("instances ---- 12.34s").
ROLE_TIME = re.compile(r'^(?:gpt371\.infra\.)?instances -+ ([\d.]+)s$', re.M)
CORE = {'name': 'core', 'groups': ['core', 'app'], 'security_groups': ['ssh', 'api'], 'floating_ip': True}


def provision(size):
    deployment = {'name': 'gpt371-p' + uuid.uuid4().hex[:6],
                  'cidr': '10.%d.%d.0/24' % (random.randint(200, 249), random.randint(0, 255))}
    extra = json.dumps({'instances_servers': [CORE], 'agent_count': size - 1, 'infra_lock_enabled': False})
    os.environ['ANSIBLE_CALLBACKS_ENABLED'] = 'gpt371.infra.plan,ansible.posix.profile_roles'
    started = time.monotonic()
    code, output, _ = lab_playbook.run_playbook('provision.yml', deployment, extra)
    seconds = time.monotonic() - started
    lab_playbook.run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'],
                              'infra_lock_enabled=false')
    role = ROLE_TIME.search(output)
    return code, seconds, float(role.group(1)) if role else None, output


def main():
    sizes = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else '1,4,8').split(',')]
    ref = os.environ.get('GPT371_BENCH_REF')
    checkout = lab_playbook.REPO
    tree = worktree(ref) if ref else None
    if tree:
        lab_playbook.REPO = tree
    times = {}
    try:
        for size in sizes:
            code, seconds, role, output = provision(size)
            if code != 0:
                print('%d servers: FAIL in %.0f s: %s' % (size, seconds, first_error(output)), flush=True)
                continue
            times[size] = (seconds, role)
            print('%d servers: provision.yml %.0f s, instances role %s s' % (
                size, seconds, '%.0f' % role if role is not None else '?'), flush=True)
    finally:
        if tree:
            subprocess.run(['git', '-C', checkout, 'worktree', 'remove', '--force', tree], check=False)
    top = max(times) if times else None
    if 1 in times and top and top != 1:
        print('ratio %d/1: provision.yml %.2f (target <= 1.5)%s' % (
            top, times[top][0] / times[1][0],
            ', instances role %.2f' % (times[top][1] / times[1][1]) if times[top][1] and times[1][1] else ''))
    print('ref %s, load average %s' % (ref or 'this checkout', os.getloadavg()))


if __name__ == '__main__':
    main()
