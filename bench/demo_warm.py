"""A warm `make demo`: the README's first command again, with the lab and the demo's deployment standing (issue 15).

Usage: .venv/bin/python bench/demo_warm.py [--keep]
`make demo` runs once to bring the lab and the demo deployment up (timed, printed as the warm-up), then again
(timed: the warm run), with each step of the warm run timed apart (images, lab, reference images, site.yml as
`make demo` runs them). Prints the warm run against the target (<= 90 s) with the load average. The demo's
deployment (infra_deployment's default, as `make demo` makes it) is torn down at the end unless --keep.
The lab is left in the mode `make demo` puts it in (strict). The warm run's output is kept in
tests/output/demo-warm.log, with ansible.posix.profile_tasks (its 15 longest tasks are printed).
"""
import argparse
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def load():
    return ' '.join(open('/proc/loadavg').read().split()[:3])


def timed(argv, **env):
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, env=dict(os.environ, ANSIBLE_NOCOLOR='1', **env), capture_output=True,
                          text=True, timeout=3600, check=False)
    took = time.monotonic() - started
    if proc.returncode:
        sys.exit('%s failed after %.0f s:\n%s' % (' '.join(argv), took, (proc.stdout + proc.stderr)[-4000:]))
    return took, proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--keep', action='store_true', help='keep the demo deployment')
    args = parser.parse_args()
    path = VENV_BIN + os.pathsep + os.environ.get('PATH', '')
    try:
        first, _ = timed(['make', 'demo'])
        print('make demo, warm-up (deployment made or brought in line): %.0f s (load %s)' % (first, load()),
              flush=True)
        profile = dict(ANSIBLE_CALLBACKS_ENABLED='gpt371.infra.plan,ansible.posix.profile_tasks',
                       PROFILE_TASKS_TASK_OUTPUT_LIMIT='15', PROFILE_TASKS_SORT_ORDER='descending')
        warm, output = timed(['make', 'demo'], **profile)
        os.makedirs(os.path.join(REPO, 'tests', 'output'), exist_ok=True)
        with open(os.path.join(REPO, 'tests', 'output', 'demo-warm.log'), 'w', encoding='utf-8') as handle:
            handle.write(output)  # the warm run's output, for reading which tasks ran
        print('  the warm run\'s 15 longest tasks (profile_tasks):')
        for line in output.rsplit('=' * 20, 1)[-1].strip().splitlines()[:15]:
            print('    ' + line)
        changed = {host: int(n) for host, n, _u, _f in RECAP.findall(output) if int(n)}
        print('make demo, warm (lab and deployment standing): %.0f s (load %s); hosts changed: %s; target <= 90 s: %s'
              % (warm, load(), changed or 'none', 'met' if warm <= 90 else 'MISSED'), flush=True)
        # The same steps one by one, as scripts/demo.sh runs them, to see where a warm run spends its time.
        steps = [('make images', ['make', 'images'], {}),
                 ('lab.sh up (strict)', ['bash', 'lab/lab.sh', 'up'], {'LAB_STRICT': '1'}),
                 ('reference images', ['bash', 'examples/reference-stack/build.sh'], {}),
                 ('site.yml', [os.path.join(VENV_BIN, 'ansible-playbook'), 'site.yml'],
                  {'PATH': path, 'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg')})]
        for label, argv, env in steps:
            took, _ = timed(argv, **env)
            print('  %-20s %6.1f s' % (label, took), flush=True)
    finally:
        if not args.keep:
            subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), 'playbooks/teardown.yml',
                            '-e', 'teardown_confirm=' + demo_deployment()], cwd=REPO, capture_output=True,
                           env=dict(os.environ, PATH=path, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg')),
                           check=False)


def demo_deployment():
    """The deployment `make demo` makes: infra_deployment of the local inventory, else the roles' default."""
    with open(os.path.join(REPO, 'inventories', 'local', 'group_vars', 'all.yml'), encoding='utf-8') as handle:
        found = re.search(r'^infra_deployment:\s*"?([\w-]+)"?\s*$', handle.read(), re.M)
    return found.group(1) if found else 'gpt371'


if __name__ == '__main__':
    main()
