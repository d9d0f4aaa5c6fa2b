#!/usr/bin/env python3
"""Benchmark: a no-op re-run of the stack role against `docker compose up -d` by hand, on the same host and stack.

Starts a node container (gpt371-node, sshd, inner Docker engine installed by the docker_host role; the
Docker-in-Docker options of the Molecule scenarios), deploys examples/reference-stack once with the stack role
over SSH (images shipped from the controller), then runs, interleaved, N times each:

  role   ansible-playbook applying gpt371.infra.stack with nothing changed (profile_tasks on)
  hand   ssh root@node 'cd <project dir> && docker compose up -d'   (same SSH options and control master)

and prints medians of the wall times, the ratio, the role's own task time (profile_tasks: first task start to
end, i.e. without ansible-playbook's start-up) and the floors: an empty play (ansible-playbook start-up,
inventory, play) and one `ssh root@node true`. The container ids must be the same before and after.
--baseline REV also times the role as it was at git revision REV (extracted with git archive into a temp dir).

Usage: .venv/bin/python bench/stack_noop.py [-n 10] [--suite trixie] [--baseline REV]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))
from stack_node import StackNode, ansible_env, build_reference_images, reference_play  # noqa: E402

PROJECT = 'gpt371-ref'
PROJECT_DIR = '/opt/gpt371/stacks/' + PROJECT
EMPTY_PLAY = """---
- name: Nothing
  hosts: app_hosts
  gather_facts: false
  tasks: []
"""
CUMULATIVE = re.compile(r'\(\d+:\d\d:[\d.]+\)\s+(\d+):(\d\d):([\d.]+) \*+\s*$')


def playbook(node, path, env=None, timeout=900):
    start = time.monotonic()
    run = subprocess.run([os.path.join(REPO, '.venv', 'bin', 'ansible-playbook'), '-i', node.inventory, path],
                         cwd=REPO, env=ansible_env(env), capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - start
    if run.returncode:
        sys.exit(f'{path} failed:\n' + (run.stdout + run.stderr)[-4000:])
    return wall, run.stdout


def task_time(stdout):
    """profile_tasks: the cumulative time printed after the last task, i.e. first task start to play end."""
    found = [CUMULATIVE.search(line) for line in stdout.splitlines()]
    found = [m for m in found if m]
    if not found:
        return float('nan')
    h, m, s = found[-1].groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def recap(stdout):
    m = re.search(r'ok=(\d+)\s+changed=(\d+)', stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def container_ids(node):
    return sorted(node.ssh(f'docker ps -q --no-trunc --filter label=com.docker.compose.project={PROJECT}')
                  .stdout.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-n', type=int, default=10, help='no-op runs of each (default 10)')
    ap.add_argument('--suite', default='trixie', help='node image suite (gpt371-node:<suite>)')
    ap.add_argument('--baseline', metavar='REV', help='also time roles/stack as of this git revision')
    args = ap.parse_args()

    build_reference_images()
    with tempfile.TemporaryDirectory(prefix='gpt371-bench-stack-') as work:
        node = StackNode(work, prefix='gpt371-bench-stack', suite=args.suite, label='gpt371.bench=stack_noop')
        try:
            t0 = time.monotonic()
            node.start()
            print(f'node {node.name} ({args.suite}) with Docker and Compose in {time.monotonic() - t0:.0f} s',
                  flush=True)
            play = os.path.join(work, 'stack.yml')
            with open(play, 'w') as fh:
                fh.write(reference_play('Apply the stack role', os.path.join(work, 'images'), secret='bench',
                                        stack_project_name=PROJECT))
            empty = os.path.join(work, 'empty.yml')
            with open(empty, 'w') as fh:
                fh.write(EMPTY_PLAY)
            profile = {'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks'}

            wall, out = playbook(node, play, profile)
            print(f'first deploy (ship images, copy, up --wait, record): {wall:.1f} s, changed={recap(out)[1]}')
            wall, out = playbook(node, play, profile)
            ok, changed = recap(out)
            print(f'first re-run: {wall:.2f} s, changed={changed}')
            if wall > 5:  # something was to do after all: show why and where the time went
                print('\n'.join(line for line in out.splitlines() if 'to do:' in line or ' --- ' in line))
            if changed:
                sys.exit('the re-run changed something: not a no-op\n' + out[-3000:])
            before = container_ids(node)

            role_wall, role_tasks, hand, ssh_true, floor = [], [], [], [], []
            for _ in range(args.n):
                wall, out = playbook(node, play, profile)
                if recap(out)[1]:
                    sys.exit('a no-op run changed something:\n' + out[-3000:])
                role_wall.append(wall)
                role_tasks.append(task_time(out))
                start = time.monotonic()
                node.ssh(f'cd {PROJECT_DIR} && docker compose up -d')
                hand.append(time.monotonic() - start)
                start = time.monotonic()
                node.ssh('true')
                ssh_true.append(time.monotonic() - start)
                floor.append(playbook(node, empty)[0])
            after = container_ids(node)

            base_wall, base_tasks = [], []
            if args.baseline:
                old = os.path.join(work, 'baseline', 'roles')
                os.makedirs(old)
                archive = subprocess.run(['git', 'archive', args.baseline, 'roles/stack'], cwd=REPO,
                                         capture_output=True, check=True).stdout
                subprocess.run(['tar', '-x', '-C', os.path.dirname(old)], input=archive, check=True)
                base_play = os.path.join(work, 'baseline.yml')
                with open(base_play, 'w') as fh:
                    fh.write(reference_play('Apply the stack role', os.path.join(work, 'images'), secret='bench',
                                            role='stack', stack_project_name=PROJECT))
                benv = dict(profile, ANSIBLE_ROLES_PATH=old)
                playbook(node, base_play, benv)  # its own bookkeeping (.deployed) once
                for _ in range(max(3, args.n // 2)):
                    wall, out = playbook(node, base_play, benv)
                    base_wall.append(wall)
                    base_tasks.append(task_time(out))
        finally:
            node.stop()

    med = statistics.median
    print()
    print(f'{"no-op, n=%d" % args.n:<44} {"median s":>9} {"min s":>7} {"max s":>7}')
    rows = [('role: ansible-playbook wall', role_wall), ('role: its tasks (profile_tasks)', role_tasks),
            ('hand: ssh node "docker compose up -d"', hand), ('floor: ansible-playbook, empty play', floor),
            ('floor: ssh node true', ssh_true)]
    if base_wall:
        rows += [(f'baseline {args.baseline[:12]}: wall', base_wall),
                 (f'baseline {args.baseline[:12]}: its tasks', base_tasks)]
    for name, values in rows:
        print(f'{name:<44} {med(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}')
    print()
    print(f'ratio role wall / compose by hand        {med(role_wall) / med(hand):.2f}x  (target <= 1.5x)')
    print(f'ratio role tasks / compose by hand       {med(role_tasks) / med(hand):.2f}x')
    print(f'role wall minus the empty-play floor     {med(role_wall) - med(floor):.2f} s')
    if base_wall:
        print(f'baseline wall / this wall                {med(base_wall) / med(role_wall):.1f}x')
    print(f'containers unchanged by the no-op runs   {before == after} ({len(after)} containers)')
    if before != after:
        sys.exit(1)


if __name__ == '__main__':
    main()
