"""gpt371.infra.service_env against the real Docker engine (issue 13, class 9: verify from the service's own view).

Real compose projects on the local engine, from images already on it (gpt371-ref-agent:0.1, built by
examples/reference-stack/build.sh; nothing is pulled), run by ansible-playbook on localhost as the verify role
would run the module on an app host:

  * a three-service project: `api` (env_file plus an `environment:` override, in order), `agent` (no env_file,
    three keys by `${VAR}`: runs without DB_PASSWORD) and `worker` (started before DB_PASSWORD changed in the
    .env: runs with an older value);
  * the reference stack's own hosts/agents.yml: its agents hold the .env; the same file without `env_file:` (the
    file before this change) gives agents that run without every guide key, and the module names the service;
  * an engine that is not running, a project with no containers, a missing .env: named causes.

Secret values are checked never to appear in ansible-playbook's output (-vvv). Every container and network is
named gpt371-senv-* and removed by id at the end.
"""
import json
import os
import shutil
import time
import uuid

import pytest

from tests.helpers.compose import ComposeProject, docker, missing_compose_or_image

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
IMAGE = 'gpt371-ref-agent:0.1'
OLD_SECRET = 'Zq9-old-secret $$pw'  # as written in the .env ($$ is a literal $)
NEW_SECRET = 'Zq9-new-secret $$pw'
SECRETS = ('Zq9-old-secret', 'Zq9-new-secret', 'Zq9-storage-key')


pytestmark = pytest.mark.skipif(
    missing_compose_or_image(IMAGE),
    reason='needs the docker CLI with compose v2 and the %s image (examples/reference-stack/build.sh)' % IMAGE)

COMPOSE = """\
name: %(project)s
x-idle: &idle
  image: gpt371-ref-agent:0.1
  entrypoint: ["sleep", "900"]
  init: true
services:
  api:
    <<: *idle
    env_file: .env
    environment:
      XPIPE_HOST: xpipe
  agent:
    <<: *idle
    environment:
      DB_HOST: ${DB_HOST}
      STORAGE_BUCKET: ${STORAGE_BUCKET}
      XPIPE_HOST: ${XPIPE_HOST}
  worker:
    <<: *idle
    env_file: .env
"""
ENV = ('DB_HOST=db.example.internal\nDB_PASSWORD=%s\nSTORAGE_BUCKET=371gpt-assets\n'
       'STORAGE_SECRET_KEY=Zq9-storage-key\nXPIPE_HOST=127.0.0.1\nAGENT_COUNT=2\n')

PLAYBOOK = """\
- name: service_env as the verify role runs it on an app host
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the project
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        project_dir: "{{ senv_dir }}"
        host_name: app-1
        fail_on_error: false
      register: senv_all

    - name: Check it in check mode, failing on a finding
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        env_file: "{{ senv_dir }}/.env"
        host_name: app-1
      check_mode: true
      register: senv_check
      ignore_errors: true

    - name: Only the api and the database keys
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        project_dir: "{{ senv_dir }}"
        services: [api]
        keys: [DB_*]
      register: senv_api

    - name: An engine that is not running
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        project_dir: "{{ senv_dir }}"
        host_name: app-1
        docker_host: "unix://{{ senv_dir }}/no-engine.sock"
      register: senv_down
      ignore_errors: true

    - name: A project with no containers
      gpt371.infra.service_env:
        project: "{{ senv_project }}-none"
        project_dir: "{{ senv_dir }}"
        host_name: app-1
      register: senv_none
      ignore_errors: true

    - name: No .env
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        project_dir: "{{ senv_dir }}/nowhere"
        host_name: app-1
      register: senv_noenv
      ignore_errors: true

    - name: Record the results
      ansible.builtin.copy:
        content: "{{ {'all': senv_all, 'check': senv_check, 'api': senv_api, 'down': senv_down,
                      'none': senv_none, 'noenv': senv_noenv} | to_json }}"
        dest: "{{ senv_out }}"
        mode: "0600"
"""

REF_PLAYBOOK = """\
- name: service_env on the reference stack's agents
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the agents
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        project_dir: "{{ senv_dir }}"
        host_name: agents-1
        fail_on_error: false
      register: senv_ref

    - name: Record the result
      ansible.builtin.copy:
        content: "{{ senv_ref | to_json }}"
        dest: "{{ senv_out }}"
        mode: "0600"
"""


class Project(ComposeProject):
    """A compose project of gpt371-senv-* containers, removed by id (and its network by name) at the end."""

    def __init__(self, workdir, compose_text, compose_name='compose.yaml'):
        self.name = 'gpt371-senv-%s' % uuid.uuid4().hex[:8]
        self.dir = str(workdir)
        self.compose = os.path.join(self.dir, compose_name)
        os.makedirs(os.path.dirname(self.compose), exist_ok=True)
        with open(self.compose, 'w') as handle:
            handle.write(compose_text % {'project': self.name} if '%(project)s' in compose_text else compose_text)

    def write_env(self, secret, extra=''):
        with open(os.path.join(self.dir, '.env'), 'w') as handle:
            handle.write(ENV % secret + extra)

    def up(self, *services):
        docker('compose', '-p', self.name, '--project-directory', self.dir, '-f', self.compose, 'up', '-d',
               '--no-deps', *services)


@pytest.fixture
def projects():
    made = []
    yield made
    for project in made:
        project.remove()


def _run(run_playbook, tmp_path, playbook, project):
    (tmp_path / 'play.yml').write_text(playbook)
    out = tmp_path / 'out.json'
    result = run_playbook(str(tmp_path / 'play.yml'), verbosity=3,
                          extra_vars={'senv_project': project.name, 'senv_dir': project.dir, 'senv_out': str(out)})
    assert result.returncode == 0, result.output[-4000:]
    for secret in SECRETS:
        assert secret not in result.output  # no value, at -vvv either
    return json.loads(out.read_text())


def test_each_service_is_named_by_what_it_runs_with(tmp_path, run_playbook, projects):
    project = Project(tmp_path / 'app', COMPOSE)
    projects.append(project)
    project.write_env(OLD_SECRET)
    project.up('worker')
    time.sleep(1.2)  # the .env changes after the worker was created
    project.write_env(NEW_SECRET)
    project.up('api', 'agent')
    assert len(project.ids()) == 3

    out = _run(run_playbook, tmp_path, PLAYBOOK, project)

    every = out['all']
    assert every['failed'] is False and every['ok'] is False and every['reason'] == 'env_missing'
    assert every['checked_keys'] == ['DB_HOST', 'DB_PASSWORD', 'STORAGE_BUCKET', 'STORAGE_SECRET_KEY', 'XPIPE_HOST']
    rows = dict((r['service'], r) for r in every['services'])
    assert rows['api']['ok'] is True  # env_file, and XPIPE_HOST: xpipe from environment: is not "stale"
    assert rows['agent']['missing'] == ['DB_PASSWORD', 'STORAGE_SECRET_KEY'] and rows['agent']['stale'] == []
    assert rows['worker']['missing'] == [] and rows['worker']['stale'] == ['DB_PASSWORD']
    assert rows['worker']['container'] == '%s-worker-1' % project.name
    assert every['definition'] == [project.compose]
    assert every['failures'] == [
        'service agent on app-1 runs without DB_PASSWORD, STORAGE_SECRET_KEY (container %s-agent-1): its compose '
        'definition does not give it the .env: add `env_file: .env` to service agent and recreate it' % project.name,
        'service worker on app-1 runs with a DB_PASSWORD older than the .env (container %s-worker-1): recreate it '
        '(docker compose up -d, or the stack role) so it reads the .env again' % project.name]

    check = out['check']  # check mode runs the same read-only checks; fail_on_error fails the task
    assert check['failed'] is True and check['changed'] is False and check['reason'] == 'env_missing'
    assert check['failures'] == every['failures']

    api = out['api']
    assert api['failed'] is False and api['ok'] is True
    assert [r['service'] for r in api['services']] == ['api'] and api['checked_keys'] == ['DB_HOST', 'DB_PASSWORD']

    down = out['down']
    assert down['failed'] is True and down['reason'] == 'engine_down' and down['fix'] == 'start it, or run configure.yml'
    assert down['msg'] == ('the Docker engine on app-1 is not running (socket unix://%s/no-engine.sock): start it, '
                           'or run configure.yml' % project.dir)

    none = out['none']
    assert none['failed'] is True and none['reason'] == 'not_found'
    assert none['msg'].startswith('compose project %s-none on app-1 has no running container' % project.name)

    noenv = out['noenv']
    assert noenv['failed'] is True and noenv['reason'] == 'not_found'
    assert noenv['msg'] == ('the .env %s/nowhere/.env does not exist on app-1: run the app_env role (it writes the '
                            '.env), or pass env_file' % project.dir)


def _reference_agents(tmp_path, with_env_file):
    """examples/reference-stack/hosts/agents.yml as shipped, or without its env_file line (the file before)."""
    text = open(os.path.join(REPO, 'examples', 'reference-stack', 'hosts', 'agents.yml')).read()
    assert '    env_file: .env\n' in text
    if not with_env_file:
        text = text.replace('    env_file: .env\n', '')
    return text.replace('${COMPOSE_PROJECT_NAME:-gpt371}', '%(project)s')


@pytest.mark.parametrize('with_env_file', [True, False], ids=['as-shipped', 'without-env_file'])
def test_reference_stack_agents_run_with_the_env(tmp_path, run_playbook, projects, with_env_file):
    project = Project(tmp_path / 'agents', _reference_agents(tmp_path, with_env_file),
                      compose_name=os.path.join('hosts', 'agents.yml'))
    projects.append(project)
    project.write_env(NEW_SECRET)
    project.up()
    assert len(project.ids()) == 2  # AGENT_COUNT=2 from the .env

    out = _run(run_playbook, tmp_path, REF_PLAYBOOK, project)

    assert len(out['services']) == 2 and out['definition'] == [project.compose]
    if with_env_file:
        assert out['ok'] is True and out['failures'] == [] and out['reason'] is None
        assert out['msg'] == '2 containers of %s on agents-1 hold the .env values of 5 keys' % project.name
    else:
        assert out['ok'] is False and out['reason'] == 'env_missing'
        assert [r['missing'] for r in out['services']] == [out['checked_keys']] * 2
        assert out['failures'] == [
            'service agent-service on agents-1 runs without DB_HOST, DB_PASSWORD, STORAGE_BUCKET, '
            'STORAGE_SECRET_KEY, XPIPE_HOST (containers %s-agent-service-1, %s-agent-service-2): its compose '
            'definition does not give it the .env: add `env_file: .env` to service agent-service and recreate it'
            % (project.name, project.name)]


PROBES_PLAYBOOK = """\
- name: The services point of host_probes and service_env on the same project
  hosts: localhost
  gather_facts: false
  tasks:
    - name: service_env (reads the .env through compose)
      gpt371.infra.service_env:
        project: "{{ senv_project }}"
        project_dir: "{{ senv_dir }}"
        host_name: app-1
        fail_on_error: false
      environment:
        PATH: "{{ senv_shims }}/module:{{ lookup('ansible.builtin.env', 'PATH') }}"
      register: senv_module

    - name: host_probes, services point (the .env it read serves the point)
      gpt371.infra.host_probes:
        env_file: "{{ senv_dir }}/.env"
        points: [services]
        host_name: app-1
        services:
          project: "{{ senv_project }}"
          project_dir: "{{ senv_dir }}"
      environment:
        PATH: "{{ senv_shims }}/probes:{{ lookup('ansible.builtin.env', 'PATH') }}"
      register: senv_probes

    - name: Record the results
      ansible.builtin.copy:
        content: "{{ {'module': senv_module, 'probes': senv_probes} | to_json }}"
        dest: "{{ senv_out }}"
        mode: "0600"
"""


def test_host_probes_services_point_finds_what_service_env_finds_without_a_compose_read_of_the_env(
        tmp_path, run_playbook, projects):
    project = Project(tmp_path / 'app', COMPOSE)
    projects.append(project)
    project.write_env(OLD_SECRET)
    project.up('worker')
    time.sleep(1.2)
    project.write_env(NEW_SECRET)
    project.up('api', 'agent')
    # A docker in front of the real one that logs each call (the modules run it under `env -i`, PATH kept).
    real = shutil.which('docker')
    for name in ('module', 'probes'):
        shim = tmp_path / 'shims' / name
        shim.mkdir(parents=True)
        (shim / 'docker').write_text('#!/bin/sh\necho "$*" >> %s/calls.log\nexec %s "$@"\n' % (shim, real))
        (shim / 'docker').chmod(0o755)
    (tmp_path / 'play.yml').write_text(PROBES_PLAYBOOK)
    out_file = tmp_path / 'out.json'
    result = run_playbook(str(tmp_path / 'play.yml'), verbosity=3, extra_vars={
        'senv_project': project.name, 'senv_dir': project.dir, 'senv_out': str(out_file),
        'senv_shims': str(tmp_path / 'shims')})
    assert result.returncode == 0, result.output[-4000:]
    for secret in SECRETS:
        assert secret not in result.output
    out = json.loads(out_file.read_text())

    module, point = out['module'], out['probes']['probes']['services']
    assert module['reason'] == 'env_missing' and len(module['failures']) == 2  # the agent's and the worker's
    for key in ('ok', 'reason', 'failures', 'checked_keys', 'services', 'definition', 'checks'):
        assert point[key] == module[key], key

    def config_runs(name):
        calls = (tmp_path / 'shims' / name / 'calls.log').read_text().splitlines()
        return [c for c in calls if c.startswith('compose ') and c.endswith(' config --format json')]

    assert len(config_runs('module')) == 2  # the .env through a reader project, then the project's definition
    assert [c for c in config_runs('probes') if ' -p %s ' % project.name in c] == config_runs('probes')
    assert len(config_runs('probes')) == 1  # the definition only
