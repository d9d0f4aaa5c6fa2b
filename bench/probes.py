#!/usr/bin/env python3
"""Benchmark: each probe against the anchor module that checks less, 20 iterations each, one run.

Starts the same local services as the integration tests, runs bench/probes.yml with a
callback that times every loop item, and prints medians and the ratio ours / anchor.
Usage: make bench   (or .venv/bin/python bench/probes.py)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))
from services.local import LocalServices  # noqa: E402

PAIRS = [('Pg_probe', 'Postgresql_ping'), ('Xpipe_health', 'Uri'), ('S3_probe', 'S3_object_info')]


def main():
    with tempfile.TemporaryDirectory(prefix='gpt371-bench-') as work:
        local = LocalServices(work)
        try:
            svc = local.start()
            extra = os.path.join(work, 'vars.json')
            with open(extra, 'w') as fh:
                json.dump({'svc': svc}, fh)
            out = os.path.join(work, 'times.json')
            env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
                       ANSIBLE_CALLBACK_PLUGINS=os.path.join(REPO, 'bench', 'callback_plugins'),
                       ANSIBLE_CALLBACKS_ENABLED='item_timer', ITEM_TIMER_OUT=out)
            cmd = [os.path.join(REPO, '.venv', 'bin', 'ansible-playbook'), '-i',
                   os.path.join(REPO, 'tests', 'integration', 'inventory.yml'),
                   os.path.join(REPO, 'bench', 'probes.yml'), '-e', '@' + extra]
            run = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
            if run.returncode:
                sys.exit('benchmark playbook failed:\n' + (run.stdout + run.stderr)[-3000:])
            with open(out) as fh:
                times = json.load(fh)
        finally:
            local.stop()
    print('%-14s %10s   %-16s %10s   %s' % ('ours', 'median ms', 'anchor', 'median ms', 'ratio'))
    for ours, anchor in PAIRS:
        a, b = statistics.median(times[ours]) * 1000, statistics.median(times[anchor]) * 1000
        print('%-14s %10.1f   %-16s %10.1f   %.2f  (n=%d/%d)' % (
            ours.lower(), a, anchor.lower(), b, a / b, len(times[ours]), len(times[anchor])))


if __name__ == '__main__':
    main()
