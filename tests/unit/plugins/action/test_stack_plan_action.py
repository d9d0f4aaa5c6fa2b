# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the stack_plan action plugin: the wiring around module_utils/_stack_plan.py.

The host's answer is a recorded probe output (tests/unit/plugins/module_utils/test_stack_plan.py) handed back by a
stand-in _low_level_execute_command; one test runs ansible-playbook in check mode against localhost with a stand-in
`docker` on PATH, so the plugin is found by its FQCN, runs the real probe through the local connection and is not
skipped in check mode.
"""

import json
import os
import stat
import subprocess
import sys

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.gpt371.infra.plugins.action import stack_plan as action
from ansible_collections.gpt371.infra.plugins.module_utils import _stack_plan as sp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'module_utils'))
import test_stack_plan as recordings  # noqa: E402  pylint: disable=wrong-import-position

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
ENV = 'KEY=value\n'


@pytest.fixture
def source(tmp_path):
    """The controller's source directory with a compose file (healthy_for() puts its checksum in the recording)."""
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'compose.yml').write_text('services: {}\n')
    return src


def run_action(args, probe_stdout='', probe_rc=0, check_mode=False, controller=None, error=None, *, monkeypatch):
    task = Task()
    task.args = args
    task.check_mode = check_mode
    plugin = action.ActionModule(task, connection=None, play_context=PlayContext(), loader=DataLoader(), templar=None)
    calls = []

    def execute(cmd, **kwargs):
        calls.append((cmd, kwargs))
        return {'rc': probe_rc, 'stdout': probe_stdout, 'stderr': '', 'stdout_lines': probe_stdout.splitlines()}

    plugin._low_level_execute_command = execute  # pylint: disable=protected-access
    monkeypatch.setattr(action, 'controller_images', lambda: (controller or {}, error))
    # ActionBase.run looks at the connection's shell for a remote tmp dir; none is needed here.
    monkeypatch.setattr(action.ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    result = plugin.run(task_vars={'inventory_hostname': 'node1'})
    return result, calls


def healthy_for(source_dir):
    """The recorded converged stack, with compose.yml's checksum that of the controller file in source_dir."""
    compose_sum = sp.sha256_file(str(source_dir / 'compose.yml'))
    return recordings.HEALTHY.replace(recordings.TOKENS['<SUM_COMPOSE>'], compose_sum)


def args_for(source_dir, **extra):
    args = {'project_name': 'gpt371-ref', 'project_dir': '/opt/gpt371/stacks/gpt371-ref',
            'source_dir': str(source_dir), 'compose_files': ['compose.yml'],
            'env_checksum': recordings.TOKENS['<SUM_ENV>'], 'ship_images': True, 'images': recordings.REF_IMAGES}
    args.update(extra)
    return args


def test_nothing_to_do_and_what_the_apply_path_needs(source, monkeypatch):
    result, calls = run_action(args_for(source), healthy_for(source), controller=recordings.CONTROLLER,
                               monkeypatch=monkeypatch)
    assert not result.get('failed') and result['changed'] is False
    assert result['msg'] == 'nothing to do' and result['reasons'] == [] and result['errors'] == []
    assert result['files'] == [] and result['images'] == [] and result['dir'] is True
    assert result['sources'] == {'compose.yml': str(source / 'compose.yml')}
    assert result['compose_files'] == ['compose.yml']
    assert result['compose_argv'][:4] == ['docker', 'compose', '--project-name', 'gpt371-ref']
    assert result['manifest']['sums']['.env'] == recordings.TOKENS['<SUM_ENV>']
    assert result['record_command'].startswith('cp -p -- compose.yml .env .deployed/ && docker ps')
    assert len(result['containers']) == 5
    # One round trip: the probe, run like raw (through the connection, the play's shell, become if set).
    assert len(calls) == 1 and 'p C docker ps' in calls[0][0] and 'p I docker images' in calls[0][0]


@pytest.mark.parametrize('check_mode', [False, True])
def test_check_mode_reads_and_reports_what_would_change(source, monkeypatch, check_mode):
    result, calls = run_action(args_for(source, env_checksum='f' * 64), healthy_for(source),
                               controller=recordings.CONTROLLER, check_mode=check_mode, monkeypatch=monkeypatch)
    assert len(calls) == 1
    assert result['msg'] == 'to do: files differ: .env; no healthy deployment of this definition recorded'
    assert result['files'] == ['.env'] and not result.get('failed') and result['changed'] is False


def test_the_engine_down_fails_once_with_the_cause_and_the_fix(source, monkeypatch):
    result, dummy = run_action(args_for(source), recordings.ENGINE_DOWN, controller=recordings.CONTROLLER,
                               monkeypatch=monkeypatch)
    message = ('the Docker engine on node1 is not running (socket unix:///var/run/docker.sock): '
               'start it, or run configure.yml')
    assert result['failed'] is True
    assert result['errors'] == [message]
    assert result['msg'] == 'stack gpt371-ref on node1: ' + message


def test_the_controller_engine_down_is_named(source, monkeypatch):
    error = sp.docker_error('docker images', 1, ['Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'
                                                 ' Is the docker daemon running?'], 'the controller', kind='controller')
    result, dummy = run_action(args_for(source), healthy_for(source), error=error, monkeypatch=monkeypatch)
    assert result['failed'] is True
    assert result['errors'][0] == ('the Docker engine on the controller is not running '
                                   '(socket unix:///var/run/docker.sock): start it (make engine)')


@pytest.mark.parametrize('on_difference, failed, warned', [('ignore', False, False), ('warn', False, True),
                                                           ('fail', True, False)])
def test_on_difference(source, monkeypatch, on_difference, failed, warned):
    result, dummy = run_action(args_for(source, on_difference=on_difference), recordings.UNHEALTHY.replace(
        recordings.TOKENS['<SUM_COMPOSE>'], sp.sha256_file(str(source / 'compose.yml'))),
        controller=recordings.CONTROLLER, monkeypatch=monkeypatch)
    assert bool(result.get('failed')) is failed
    assert bool(result.get('warnings')) is warned
    assert result['unhealthy'] == ['xpipe', 'api']
    if failed or warned:
        text = result['msg'] if failed else result['warnings'][0]
        assert text.startswith('stack gpt371-ref on node1 differs from the wanted definition: ')


def test_precheck_does_not_read_the_host(source, monkeypatch):
    result, calls = run_action(args_for(source, read_host=False, compose_files=['compose.yml', 'missing.yml']),
                               controller=recordings.CONTROLLER, monkeypatch=monkeypatch)
    assert calls == []
    assert result['failed'] is True
    assert result['errors'] == ['not on the controller: %s/missing.yml' % source]


def test_wrong_options_fail_before_the_host_is_read(source, monkeypatch):
    result, calls = run_action(args_for(source, project_name='Bad Name', wait_timeout=0, images=[]),
                               healthy_for(source), controller=recordings.CONTROLLER, monkeypatch=monkeypatch)
    assert result['failed'] is True
    assert result['errors'][:3] == [
        "project_name must be a lowercase compose project name ([a-z0-9][a-z0-9_-]*), got 'Bad Name'",
        'wait_timeout must be > 0, got 0', 'images is empty while ship_images is true']
    assert len(calls) == 1  # still one round trip: every error is reported at once


def test_unknown_probe_lines_are_warnings(source, monkeypatch):
    result, dummy = run_action(args_for(source), 'sudo: unable to resolve host node1\n' + healthy_for(source),
                               controller=recordings.CONTROLLER, monkeypatch=monkeypatch)
    assert result['reasons'] == []
    assert result['warnings'] == ['the probe on node1 printed lines it does not know: sudo: unable to resolve host node1']


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Plan
      gpt371.infra.stack_plan:
        project_name: gpt371-ref
        project_dir: {project}
        source_dir: {source}
        compose_files: [compose.yml]
        on_difference: warn
      register: plan
    - name: Show it
      ansible.builtin.copy:
        content: "{{{{ plan | to_json }}}}"
        dest: {out}
      check_mode: false
"""

FAKE_DOCKER = """#!/bin/sh
[ "$1" = ps ] && cat "$FAKE_PS"
exit 0
"""


def test_ansible_playbook_in_check_mode_runs_the_probe(tmp_path, source):
    project = tmp_path / 'project'
    (project / '.deployed').mkdir(parents=True)
    (project / '.env').write_text(ENV)
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    (bindir / 'docker').write_text(FAKE_DOCKER)
    (bindir / 'docker').chmod(0o755 | stat.S_IXUSR)
    (tmp_path / 'ps').write_text(recordings.untagged(recordings.LIVE))
    playbook = tmp_path / 'play.yml'
    out = tmp_path / 'plan.json'
    playbook.write_text(PLAYBOOK.format(project=project, source=source, out=out))
    env = dict(os.environ, PATH='%s:%s:%s' % (bindir, os.path.join(REPO, '.venv', 'bin'), os.environ['PATH']),
               FAKE_PS=str(tmp_path / 'ps'), ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    argv = [os.path.join(REPO, '.venv', 'bin', 'ansible-playbook'), '--check', '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=' + sys.executable, str(playbook)]
    run = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    plan = json.loads(out.read_text())
    assert plan['files'] == ['compose.yml']
    assert plan['reasons'] == ['files differ: compose.yml', 'no healthy deployment of this definition recorded',
                               'containers differ from the recorded deployment']
    assert plan['sums']['.env'] == sp.sha256_file(str(project / '.env'))
    assert 'differs from the wanted definition' in run.stdout + run.stderr
