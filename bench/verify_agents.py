"""The verify play's time against the number of agent servers (probes run on every app host at once).

Usage: .venv/bin/python bench/verify_agents.py [AGENTS ...]   (default: 1 8; the lab must be able to come up)
       GPT371_BENCH_RUNS=N: verify runs per count (default 3)
A throw-away deployment ``gpt371-b<random>`` is built with site.yml at the first count, verify.yml is timed
(median of 3 runs), then scale.yml moves it to each next count and verify.yml is timed again; the deployment is torn
down at the end. Prints the figures with the load average at each, and the ratio of the last count to the first
(issue 15's target: <= 1.3).
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))
from lab_playbook import REPO, new_deployment, run_playbook  # noqa: E402


def must(result, what):
    code, output, _ = result
    if code:
        sys.exit('%s failed:\n%s' % (what, output[-4000:]))


def time_verify(deployment, runs=int(os.environ.get('GPT371_BENCH_RUNS', '3'))):
    times = []
    for _ in range(runs):
        started = time.monotonic()
        must(run_playbook('verify.yml', deployment), 'verify.yml')
        times.append(time.monotonic() - started)
    return statistics.median(times)


def main():
    counts = [int(arg) for arg in sys.argv[1:]] or [1, 8]
    subprocess.run(['bash', os.path.join(REPO, 'lab', 'lab.sh'), 'up'], check=True, capture_output=True)
    subprocess.run(['bash', os.path.join(REPO, 'examples', 'reference-stack', 'build.sh')], check=True)
    deployment = new_deployment('gpt371-b')
    figures = []
    try:
        for index, count in enumerate(counts):
            playbook = 'site.yml' if index == 0 else 'scale.yml'
            started = time.monotonic()
            must(run_playbook(playbook, deployment, 'agent_count=%d' % count), playbook)
            print('%s to %d agent servers: %.0f s' % (playbook, count, time.monotonic() - started), flush=True)
            figures.append((count, time_verify(deployment)))
            print('verify.yml with %d agent servers (%d app hosts): median %.1f s (load %s)'
                  % (count, count + 3, figures[-1][1], ', '.join('%.1f' % x for x in os.getloadavg())), flush=True)
    finally:
        run_playbook('teardown.yml', deployment, 'teardown_confirm=' + deployment['name'])
    if len(figures) > 1:
        print('ratio %d/%d agents: %.2f (target <= 1.3)'
              % (figures[-1][0], figures[0][0], figures[-1][1] / figures[0][1]))


if __name__ == '__main__':
    main()
