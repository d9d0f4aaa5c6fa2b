"""Fresh provisions in a row, with the lab's event delay set: how often does a first provision.yml pass?

Usage: .venv/bin/python bench/fresh_provisions.py RUNS [EVENT_DELAY] [AGENT_COUNT]   (default 5 15 0)
       GPT371_BENCH_REF=<commit>: run the playbooks of that commit (a throw-away worktree) instead of this checkout.
Brings the lab up with LAB_EVENT_DELAY=EVENT_DELAY (only neutron and nova-compute restart when it changes), then
for each run: a new deployment, provision.yml, teardown.yml. Prints each run's result, time and the first error
line, then "N passed, M failed". The lab is left with the asked delay; a plain `lab.sh up` restores the default.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))
import lab_playbook  # noqa: E402

ERROR = re.compile(r'^(?:fatal: .*|\[ERROR\]: .*|.*"msg": .*)$', re.M)


def first_error(output):
    found = ERROR.search(output)
    return found.group(0)[:300] if found else output.strip().splitlines()[-1][:300]


def worktree(ref):
    path = tempfile.mkdtemp(prefix='gpt371-bench-ref-')
    subprocess.run(['git', '-C', lab_playbook.REPO, 'worktree', 'add', '-q', '--detach', path, ref], check=True)
    # The worktree uses this checkout's venv and collection link (same ansible, the worktree's roles/plugins).
    os.makedirs(os.path.join(path, '.collections', 'ansible_collections', 'gpt371'))
    os.symlink('../../..', os.path.join(path, '.collections', 'ansible_collections', 'gpt371', 'infra'))
    os.symlink(os.path.join(lab_playbook.REPO, 'lab', '.state'), os.path.join(path, 'lab', '.state'))
    # The lab inventory keeps each deployment's key and known_hosts in the checkout's outputs/ (lab_root).
    os.makedirs(os.path.join(lab_playbook.REPO, 'outputs'), exist_ok=True)
    os.symlink(os.path.join(lab_playbook.REPO, 'outputs'), os.path.join(path, 'outputs'))
    return path


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    delay = sys.argv[2] if len(sys.argv) > 2 else '15'
    agents = sys.argv[3] if len(sys.argv) > 3 else '0'
    subprocess.run(['bash', os.path.join(lab_playbook.REPO, 'lab', 'lab.sh'), 'up'], check=True,
                   capture_output=True, env=dict(os.environ, LAB_EVENT_DELAY=delay))
    ref = os.environ.get('GPT371_BENCH_REF')
    checkout = lab_playbook.REPO
    tree = worktree(ref) if ref else None
    if tree:
        lab_playbook.REPO = tree  # run_playbook reads the playbooks and ansible.cfg from there
    passed = failed = 0
    try:
        for index in range(runs):
            deployment = lab_playbook.new_deployment('gpt371-r')
            started = time.monotonic()
            code, output, _ = lab_playbook.run_playbook('provision.yml', deployment, 'agent_count=' + agents)
            seconds = time.monotonic() - started
            lab_playbook.run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'])
            if code == 0:
                passed += 1
                print('run %d: pass in %.0f s' % (index + 1, seconds), flush=True)
            else:
                failed += 1
                print('run %d: FAIL in %.0f s: %s' % (index + 1, seconds, first_error(output)), flush=True)
    finally:
        if tree:
            subprocess.run(['git', '-C', checkout, 'worktree', 'remove', '--force', tree], check=False)
    print('event delay %s s, %s agent servers, load average %s' % (delay, agents, os.getloadavg()))
    print('%d passed, %d failed' % (passed, failed))


if __name__ == '__main__':
    main()
