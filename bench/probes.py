#!/usr/bin/env python3
"""Benchmark: each probe against the anchor module that checks less, 20 iterations each, one run.

Starts the same local services as the integration tests, runs bench/probes.yml with a
callback that times every loop item, and prints medians, the ratio ours / anchor against its
target, and the load average of the run.
Usage, from the repository root: python -m bench.probes [--before REV]   (make bench)
  --before REV  also runs the collection as it was at git revision REV (git archive into a temporary
                collection path), against the same services in the same run, and prints both tables.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile

if not __package__:  # started as a script (python bench/probes.py): the same as python -m bench.probes
    ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, '-m', 'bench.probes'] + sys.argv[1:])

from tests.helpers import REPO, ansible_env, local_services, playbook_command, write_private_json  # noqa: E402

# (ours, anchor, target ratio): the anchors check less (a ping, an HTTP status, a listing).
PAIRS = [('Pg_probe', 'Postgresql_ping', 0.9), ('Xpipe_health', 'Uri', 1.0), ('S3_probe', 'S3_object_info', 1.0)]


def collection_at(rev, directory):
    """A collections path holding gpt371.infra as it was at ``rev``."""
    infra = os.path.join(directory, 'ansible_collections', 'gpt371', 'infra')
    os.makedirs(infra)
    archive = os.path.join(directory, 'tree.tar')
    with open(archive, 'wb') as fh:
        subprocess.run(['git', 'archive', rev, 'plugins', 'meta', 'galaxy.yml'], cwd=REPO, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(infra, filter='data')
    return directory


def measure(svc, work, label, collections=None, playbook='bench/probes.yml'):
    """{task name: [seconds per item]} and the load averages of one playbook run."""
    extra = os.path.join(work, 'vars-%s.json' % label)
    if not os.path.exists(extra):
        write_private_json(extra, {'svc': svc})
    out = os.path.join(work, 'times-%s.json' % label)
    env = ansible_env(ANSIBLE_CALLBACK_PLUGINS=os.path.join(REPO, 'bench', 'callback_plugins'),
                      ANSIBLE_CALLBACKS_ENABLED='item_timer', ITEM_TIMER_OUT=out)
    if collections:
        env['ANSIBLE_COLLECTIONS_PATH'] = collections
    load_before = os.getloadavg()
    run = subprocess.run(playbook_command(playbook, extra), env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=900)
    load_after = os.getloadavg()
    if run.returncode:
        sys.exit('benchmark playbook (%s) failed:\n%s' % (label, (run.stdout + run.stderr)[-3000:]))
    with open(out) as fh:
        return json.load(fh), (load_before, load_after)


def report(label, times, loads):
    print('\n%s' % label)
    print('%-14s %10s   %-16s %10s   %-6s %s' % ('ours', 'median ms', 'anchor', 'median ms', 'ratio', 'target'))
    for ours, anchor, target in PAIRS:
        a, b = statistics.median(times[ours]) * 1000, statistics.median(times[anchor]) * 1000
        print('%-14s %10.1f   %-16s %10.1f   %.2f   <= %.1f %s  (n=%d/%d)' % (
            ours.lower(), a, anchor.lower(), b, a / b, target, 'met' if a / b <= target else 'MISSED',
            len(times[ours]), len(times[anchor])))
    if 'Host_probes' in times:
        one = statistics.median(times['Host_probes']) * 1000
        three = sum(statistics.median(times[name]) * 1000 for name in ('Pg_probe', 'Xpipe_health', 'S3_probe'))
        print('%-14s %10.1f   %-16s %10.1f   %.2f   (the three in one module run, side by side)' % (
            'host_probes', one, 'the three', three, one / three))
    print('load average (1, 5, 15 min): before %s, after %s, on %d CPUs' % (
        ', '.join('%.2f' % x for x in loads[0]), ', '.join('%.2f' % x for x in loads[1]), os.cpu_count()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--before', metavar='REV', help='also measure the collection at this git revision')
    args = parser.parse_args()
    with local_services('gpt371-bench-') as (svc, work):
        runs = []
        if args.before:
            with tempfile.TemporaryDirectory(prefix='gpt371-bench-before-') as old:
                runs.append(('before (%s)' % args.before,) + measure(svc, work, 'before', collection_at(args.before,
                                                                                                        old)))
        times, loads = measure(svc, work, 'after')
        combined, more = measure(svc, work, 'host_probes', playbook='bench/host_probes.yml')
        runs.append(('after (working tree)' if args.before else 'this tree', dict(times, **combined),
                     (loads[0], more[1])))
    for label, times, loads in runs:
        report(label, times, loads)


if __name__ == '__main__':
    main()
