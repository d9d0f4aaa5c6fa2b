"""The no-op site.yml against the first run, on one deployment of the lab, with a profile of each (issue 15).

Usage: .venv/bin/python bench/site_noop.py [--agents 3] [--runs 1] [--deployment NAME --cidr CIDR] [--keep]
                                          [--before REV] [--settle]
A throw-away deployment ``gpt371-n<random>`` is built with site.yml (timed: the first run), then site.yml runs
again --runs times with nothing to change (timed, changed=0 checked on every host). Both runs are profiled with
ansible.posix.profile_tasks; the 15 tasks that took longest are printed for each, then the ratio no-op / first
run (target <= 0.15, and the no-op run <= 60 s). --deployment reuses a standing deployment (no first run; it is
kept). --before REV also runs the no-op with the collection as it was at git revision REV (git archive into a
temporary collections path), alternating with this tree's on the same deployment, and prints the ratio
after / before, of the wall time and of the controller's CPU time (ansible-playbook and every process it waited
for: the lab's servers and services are not its children, so this part moves less with their load). The lab must
be able to come up (lab/lab.sh up). --settle waits before every timed run until the 1-minute load average is
below GPT371_BENCH_SETTLE_LOAD (2.0; at most GPT371_BENCH_SETTLE_MAX, 300 s), as bench/verify_agents.py does: the
no-op runs are then timed on the standing deployment, not on the minutes after the first run (engines, stacks and
health checks starting), and the first run on a lab that is as quiet.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))
from lab_playbook import REPO, children_cpu, new_deployment, run_playbook  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settle import settle  # noqa: E402

PROFILE_LINE = re.compile(r'^(.+?) -{2,} (\d+\.\d+)s$', re.M)


def collection_at(rev, directory):
    """A collections path holding gpt371.infra (playbooks, roles, plugins) as it was at ``rev``."""
    infra = os.path.join(directory, 'ansible_collections', 'gpt371', 'infra')
    os.makedirs(infra)
    archive = os.path.join(directory, 'tree.tar')
    with open(archive, 'wb') as handle:
        subprocess.run(['git', 'archive', rev, 'playbooks', 'roles', 'plugins', 'meta', 'galaxy.yml'], cwd=REPO,
                       stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(infra, filter='data')
    return directory


def profiled(deployment, *extra, collections=None):
    """(seconds, controller CPU seconds, output, recap) of one site.yml with profile_tasks on."""
    os.environ.update(ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks', PROFILE_TASKS_TASK_OUTPUT_LIMIT='15',
                      PROFILE_TASKS_SORT_ORDER='descending')
    started, cpu = time.monotonic(), children_cpu()
    code, output, recap = run_playbook('site.yml', deployment, *extra, collections=collections)
    took, cpu = time.monotonic() - started, children_cpu() - cpu
    if code:
        sys.exit('site.yml failed:\n' + output[-4000:])
    return took, cpu, output, recap


def top_tasks(output):
    return PROFILE_LINE.findall(output.rsplit('=' * 20, 1)[-1])[:15]


def show(title, took, output, cpu=None):
    print('%s: %.0f s%s (load average %s)' % (title, took, '' if cpu is None else ', controller CPU %.1f s' % cpu,
                                              ' '.join(open('/proc/loadavg').read().split()[:3])))
    for name, seconds in top_tasks(output):
        print('  %7ss  %s' % (seconds, name.strip()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--agents', type=int, default=3)
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--deployment')
    parser.add_argument('--cidr')
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--before', metavar='REV', help='also time the no-op of the collection at this revision')
    parser.add_argument('--settle', action='store_true', help='wait for a quiet lab before every timed run')
    args = parser.parse_args()
    subprocess.run(['bash', os.path.join(REPO, 'lab', 'lab.sh'), 'up'], check=True, capture_output=True)
    subprocess.run(['bash', os.path.join(REPO, 'examples', 'reference-stack', 'build.sh')], check=True,
                   capture_output=True)
    standing = bool(args.deployment)
    deployment = {'name': args.deployment, 'cidr': args.cidr} if standing else new_deployment('gpt371-n')
    agents = 'agent_count=%d' % args.agents
    first = None
    older = tempfile.TemporaryDirectory(prefix='gpt371-bench-before-') if args.before else None
    trees = ([('before (%s)' % args.before, collection_at(args.before, older.name))] if older else []) + [
        ('after (this tree)' if older else 'this tree', None)]
    noops = {label: [] for label, _path in trees}
    cpus = {label: [] for label, _path in trees}
    try:
        if not standing:
            if args.settle:
                settle()
            first, cpu, output, _recap = profiled(deployment, agents)
            show('site.yml, first run (%d agent servers)' % args.agents, first, output, cpu)
        for _ in range(args.runs):
            for label, collections in trees:  # alternating, so both see the same machine
                if args.settle:
                    settle()
                took, cpu, output, recap = profiled(deployment, agents, collections=collections)
                changed = {host: count for host, count in recap.items() if count}
                if changed:
                    sys.exit('the re-run (%s) changed something: %s' % (label, changed))
                noops[label].append(took)
                cpus[label].append(cpu)
                show('site.yml, no-op re-run, %s (run %d of %d)' % (label, len(noops[label]), args.runs), took,
                     output, cpu)
    finally:
        if older:
            older.cleanup()
        if not (standing or args.keep):
            run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'])
    noop = statistics.median(noops[trees[-1][0]])
    print('no-op site.yml: %.0f s (target <= 60 s)' % noop)
    if older:
        before = statistics.median(noops[trees[0][0]])
        print('no-op site.yml before (%s): %.0f s; ratio after / before: %.2f' % (args.before, before, noop / before))
        cpu_before, cpu_after = (statistics.median(cpus[label]) for label, _path in trees)
        print('controller CPU of the no-op, median: before %.1f s, after %.1f s; ratio after / before: %.2f'
              % (cpu_before, cpu_after, cpu_after / cpu_before))
    if first:
        print('ratio no-op / first run: %.2f (target <= 0.15)' % (noop / first))


if __name__ == '__main__':
    main()
