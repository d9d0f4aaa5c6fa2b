"""Benchmark helper: wait for the lab to settle before a timed run (issue 15)."""
import os
import time


def settle(limit=float(os.environ.get('GPT371_BENCH_SETTLE_LOAD', '2.0')),
           longest=float(os.environ.get('GPT371_BENCH_SETTLE_MAX', '300'))):
    """Wait until the 1-minute load average is below ``limit`` (at most ``longest`` s); print what it came to.

    A playbook that just started or deleted servers leaves the lab busy for minutes (engines starting, stacks
    pulling up, health checks): a run timed on a deployment that settled is not timed on that tail, so the runs
    compared meet the same conditions. The deployment's own steady load stays in."""
    started = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - started < longest:
        time.sleep(5)
    loads = ', '.join('%.1f' % x for x in os.getloadavg())
    print('  settled for %.0f s: load %s' % (time.monotonic() - started, loads), flush=True)
