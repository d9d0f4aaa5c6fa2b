"""The verify play's time against the number of agent servers (probes run on every app host at once).

Usage: .venv/bin/python bench/verify_agents.py [AGENTS ...]   (default: 1 8; the lab must be able to come up)
       GPT371_BENCH_RUNS=N: verify runs per count (default 3)
       GPT371_BENCH_REF=<commit>: also time that commit's verify.yml (a throw-away worktree) at each count, its
       runs alternating with the checkout's on the same deployment, and print both ratios (before and after)
       GPT371_BENCH_DEPLOYMENT=NAME,CIDR: start from that standing deployment (scale.yml to the first count, not
       site.yml); it is still torn down at the end
       GPT371_BENCH_SETTLE_LOAD=L (default 2.0), GPT371_BENCH_SETTLE_MAX=S (default 300): after each site.yml or
       scale.yml, wait until the 1-minute load average is below L, at most S seconds, before timing verify.yml
       GPT371_BENCH_PROFILE_DIR=DIR: keep the last verify.yml output of each tree and count there
       (verify-<tree>-<count>.log), with ansible.posix.profile_tasks, to see which tasks grow with the hosts
A throw-away deployment ``gpt371-b<random>`` is built with site.yml at the first count, verify.yml is timed
(median of 3 runs), then scale.yml moves it to each next count and verify.yml is timed again; the deployment is torn
down at the end. Prints the figures with the load average at each, and the ratio of the largest count to the
smallest (issue 15's target: <= 1.3).
"""
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lab'))
sys.path.insert(0, HERE)
import lab_playbook  # noqa: E402
from fresh_provisions import worktree  # noqa: E402
from settle import settle  # noqa: E402
from lab_playbook import REPO, children_cpu, new_deployment, run_playbook  # noqa: E402


def must(result, what):
    code, output, _ = result
    if code:
        sys.exit('%s failed:\n%s' % (what, output[-4000:]))


def cold_ssh():
    """Each run connects as a run a minute after the last one does: without the SSH masters (ControlPersist) the
    previous run left (their sockets are removed; the masters end at their own timeout)."""
    control_dir = os.path.expanduser('~/.ansible/cp')
    for name in os.listdir(control_dir) if os.path.isdir(control_dir) else []:
        os.unlink(os.path.join(control_dir, name))


def time_verify(deployment, count, trees, runs=int(os.environ.get('GPT371_BENCH_RUNS', '3'))):
    """{label: (median seconds, median controller CPU seconds)} of verify.yml from each tree ({label: repo}),
    the trees' runs alternating."""
    times = {label: [] for label in trees}
    cpus = {label: [] for label in trees}
    for _ in range(runs):
        for label, tree in trees.items():
            lab_playbook.REPO = tree
            cold_ssh()
            started, cpu = time.monotonic(), children_cpu()
            result = run_playbook('verify.yml', deployment)
            took = time.monotonic() - started
            # The controller's own CPU: on a real cloud the hosts' share of the work runs on their own CPUs, while
            # on the lab it shares these cores.
            spent = children_cpu() - cpu
            print('  verify.yml (%s): %.1f s, controller CPU %.1f s' % (label, took, spent), flush=True)
            if label == 'checkout':
                must(result, 'verify.yml (%s)' % label)
            elif result[0]:  # the other revision's failure is a finding, not the end of the run
                unreachable = sorted(set(re.findall(r'^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=[1-9]', result[1],
                                                    re.M)))
                print('verify.yml (%s) failed after %.0f s; unreachable: %s' % (label, took, unreachable or 'none'),
                      flush=True)
                continue
            times[label].append(took)
            cpus[label].append(spent)
            profile_dir = os.environ.get('GPT371_BENCH_PROFILE_DIR')
            if profile_dir:
                os.makedirs(profile_dir, exist_ok=True)
                with open(os.path.join(profile_dir, 'verify-%s-%d.log' % (label, count)), 'w',
                          encoding='utf-8') as handle:
                    handle.write(result[1])
    lab_playbook.REPO = trees['checkout']
    return {label: (statistics.median(values), statistics.median(cpus[label])) for label, values in times.items()
            if values}


def main():
    counts = [int(arg) for arg in sys.argv[1:]] or [1, 8]
    subprocess.run(['bash', os.path.join(REPO, 'lab', 'lab.sh'), 'up'], check=True, capture_output=True)
    subprocess.run(['bash', os.path.join(REPO, 'examples', 'reference-stack', 'build.sh')], check=True)
    deployment = new_deployment('gpt371-b')
    if os.environ.get('GPT371_BENCH_DEPLOYMENT'):
        name, cidr = os.environ['GPT371_BENCH_DEPLOYMENT'].split(',')
        deployment = dict(deployment, name=name, cidr=cidr)
    if os.environ.get('GPT371_BENCH_PROFILE_DIR'):
        os.environ['ANSIBLE_CALLBACKS_ENABLED'] = 'gpt371.infra.plan,ansible.posix.profile_tasks'
    trees = {'checkout': REPO}
    if os.environ.get('GPT371_BENCH_REF'):
        trees = {'before': worktree(os.environ['GPT371_BENCH_REF']), 'checkout': REPO}
    figures = []
    try:
        for index, count in enumerate(counts):
            playbook = 'site.yml' if index == 0 and not os.environ.get('GPT371_BENCH_DEPLOYMENT') else 'scale.yml'
            started = time.monotonic()
            must(run_playbook(playbook, deployment, 'agent_count=%d' % count), playbook)
            print('%s to %d agent servers: %.0f s' % (playbook, count, time.monotonic() - started), flush=True)
            settle()
            figures.append((count, time_verify(deployment, count, trees)))
            print('verify.yml with %d agent servers (%d app hosts): median %s (load %s)'
                  % (count, count + 3, ', '.join('%s %.1f s (controller CPU %.1f s)' % ((label,) + wall_cpu)
                                                 for label, wall_cpu in figures[-1][1].items()) or 'none',
                     ', '.join('%.1f' % x for x in os.getloadavg())), flush=True)
    finally:
        run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'])
        if len(trees) > 1:
            subprocess.run(['git', '-C', REPO, 'worktree', 'remove', '--force', trees['before']], check=False)
    if len(figures) > 1:  # the largest count against the smallest, in whatever order they ran
        low, high = min(figures), max(figures)
        for label in trees:
            if label in high[1] and label in low[1]:
                print('ratio %d/%d agents (%s): %.2f (target <= 1.3)'
                      % (high[0], low[0], label, high[1][label][0] / low[1][label][0]))
                # On a cloud each host's share of the probes runs on its own CPUs; on the lab the servers share
                # this machine's cores with the controller. This is the part that stays on the controller.
                print('  controller CPU %d/%d agents (%s): %.2f'
                      % (high[0], low[0], label, high[1][label][1] / low[1][label][1]))


if __name__ == '__main__':
    main()
