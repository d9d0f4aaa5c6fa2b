# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The check of the service_env module on the host (docker CLI), also run by host_probes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import socket
import tempfile

from ansible_collections.gpt371.infra.plugins.module_utils import _service_env as senv
from ansible_collections.gpt371.infra.plugins.module_utils._dotenv import DotenvError, parse as parse_dotenv
from ansible_collections.gpt371.infra.plugins.module_utils._stack_plan import PROJECT_NAME_RE, docker_error

# The service_env module's options (documented there), also checked for host_probes' services point.
ARGUMENT_SPEC = dict(
    project=dict(type='str', required=True),
    project_dir=dict(type='path'),
    env_file=dict(type='path'),
    services=dict(type='list', elements='str'),
    keys=dict(type='list', elements='str', default=list(senv.DEFAULT_KEYS), no_log=False),
    docker_host=dict(type='str'),
    host_name=dict(type='str'),
    fail_on_error=dict(type='bool', default=True),
    timeout=dict(type='int', default=60),
)
REQUIRED_ONE_OF = [('project_dir', 'env_file')]

_KEEP_ENV = ('PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY')
_NO_COMPOSE_RE = re.compile(r"'compose' is not a docker command|unknown (?:shorthand )?flag.*--format|"
                            r"docker: unknown command: docker compose")


class _Failed(Exception):
    """A failure before any comparison: `msg` is "cause: fix" (split at the last ': ' for the report's row when
    `split`; input errors name the option first and stay whole)."""

    def __init__(self, msg, reason, split=True):
        super(_Failed, self).__init__(msg)
        self.msg, self.reason = msg, reason
        cause, sep, fix = msg.rpartition(': ') if split else ('', '', '')
        self.cause, self.fix = (cause, fix) if sep else (msg, '')


def reader_environment(docker_host=None, environ=None):
    """The environment the docker CLI runs with (`env -i`: only PATH, HOME and DOCKER_*), which is also what
    compose resolves a `${VAR}` of the .env with that the file does not set itself."""
    environ = os.environ if environ is None else environ
    env = dict((k, environ[k]) for k in _KEEP_ENV if k in environ)
    env.setdefault('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    if docker_host:
        env['DOCKER_HOST'] = docker_host
    return env


def env_from_text(text, docker_host=None):
    """The .env text as compose reads a service's env_file, read in Python (module_utils/_dotenv, held to compose's
    reading byte for byte by tests/integration/test_env_parity.py), or None when it does not parse (compose then
    reads it, and names the line)."""
    try:
        return parse_dotenv(text, reader_environment(docker_host))
    except (DotenvError, TypeError):
        return None


class _Docker(object):
    """The docker CLI, run through `env -i` (only PATH, HOME and DOCKER_*) and `timeout`."""

    def __init__(self, module, docker_host, timeout, where):
        env = reader_environment(docker_host)
        self.prefix = [module.get_bin_path('env', required=True), '-i'] + ['%s=%s' % kv for kv in sorted(env.items())]
        limit = module.get_bin_path('timeout')  # coreutils
        if limit:
            self.prefix += [limit, '-k', '5', str(timeout)]
        self.limited = bool(limit)
        self.module, self.timeout, self.where = module, timeout, where
        self.masked = []

    def run(self, argv, what):
        rc, out, err = self.module.run_command(self.prefix + ['docker'] + argv, errors='surrogate_or_replace',
                                               expand_user_and_vars=False)
        if self.limited and rc in (124, 137):
            raise _Failed('%s on %s gave no answer within %d s (timeout): is the Docker engine hung? '
                          '(systemctl status docker)' % (what, self.where, self.timeout), 'engine_down')
        if rc == 127:
            raise _Failed(docker_error(what, 127, [], self.where), 'docker_failed')
        return rc, out, senv.scrub(err, self.masked)

    def check(self, argv, what):
        rc, out, err = self.run(argv, what)
        if rc != 0:
            if _NO_COMPOSE_RE.search(err):
                raise _Failed('the docker compose plugin is not installed on %s: run configure.yml (the docker_host '
                              'role installs it)' % self.where, 'docker_failed')
            msg = docker_error(what, rc, err.splitlines(), self.where)
            down = msg.startswith('the Docker engine')
            raise _Failed(msg, 'engine_down' if down else 'docker_failed', split=down)
        return out

    def compose_config(self, project, project_dir, files, env_files=()):
        argv = ['compose', '-p', project, '--project-directory', project_dir]
        for name in env_files:
            argv += ['--env-file', name]
        for name in files:
            argv += ['-f', name]
        return self.run(argv + ['config', '--format', 'json'], 'docker compose config')


def read_env(docker, env_file):
    """The .env as compose reads a service's env_file, through a throw-away project (nothing runs)."""
    workdir = tempfile.mkdtemp(prefix='gpt371-senv-')
    try:
        path = os.path.join(workdir, 'compose.yaml')
        with open(path, 'w') as handle:
            handle.write(senv.reader_compose(env_file))
        rc, out, err = docker.compose_config(senv.READER_SERVICE, workdir, [path])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if rc != 0:
        if _NO_COMPOSE_RE.search(err):
            raise _Failed('the docker compose plugin is not installed on %s: run configure.yml (the docker_host role '
                          'installs it)' % docker.where, 'docker_failed')
        raise _Failed(senv.reader_error(err, env_file, docker.where), 'env_unreadable')
    return senv.config_environments(out).get(senv.READER_SERVICE, {})


def read_definition(docker, project, inspect, warn):
    """{service: environment} of the compose files the containers record, or (None, []) with a warning."""
    working_dir, files, env_files = senv.project_files(inspect)
    if not files:
        warn('the containers of %s record no compose files: compared with the .env alone' % project)
        return None, []
    absent = [f for f in files if not os.path.isfile(f)]
    if absent:
        warn('compose files of %s not found on %s (%s): compared with the .env alone (entries of `environment:` '
             'are not known)' % (project, docker.where, ', '.join(absent)))
        return None, []
    rc, out, err = docker.compose_config(project, working_dir or os.path.dirname(files[0]), files,
                                         [f for f in env_files if os.path.isfile(f)])
    if rc != 0:
        warn('docker compose config of %s failed on %s (exit %d: %s): compared with the .env alone'
             % (project, docker.where, rc, ' '.join(err.split())[:300]))
        return None, []
    return senv.config_environments(out), files


def run(module, params, env=None):
    """The comparison for ``params`` (the module's options): the result, or _Failed. ``env``: the .env already
    read (env_from_text) by a caller that holds its text, so compose is not run to read it again."""
    where = params['host_name'] or socket.gethostname()
    project = params['project']
    errors = []
    if not PROJECT_NAME_RE.match(project or ''):
        errors.append('project: %r is not a compose project name (lowercase letters, digits, - and _, starting with '
                      'a letter or digit)' % project)
    errors += senv.key_errors(params['keys'])
    if params['timeout'] < 1:
        errors.append('timeout: must be at least 1 second, got %d' % params['timeout'])
    env_file = params['env_file'] or os.path.join(params['project_dir'], '.env')
    if not os.path.isabs(env_file):
        errors.append('env_file: %s is relative; give the absolute path of the deployed .env (or project_dir)'
                      % env_file)
    if errors:
        raise _Failed('; '.join(errors), 'input', split=False)
    if not os.path.isfile(env_file):
        raise _Failed('the .env %s does not exist on %s: run the app_env role (it writes the .env), or pass env_file'
                      % (env_file, where), 'not_found')

    docker = _Docker(module, params['docker_host'], params['timeout'], where)
    label = 'label=%s=%s' % (senv.LABEL_PROJECT, project)
    ids = docker.check(['ps', '-q', '--no-trunc', '--filter', label], 'docker ps').split()
    if not ids:
        stopped = docker.check(['ps', '-aq', '--filter', label], 'docker ps').split()
        raise _Failed('compose project %s on %s has no running container%s: deploy it (the stack role), or check '
                      'the project name' % (project, where, ' (%d stopped)' % len(stopped) if stopped else ''),
                      'not_found')
    inspect = json.loads(docker.check(['inspect'] + ids, 'docker inspect'))
    if params['services']:
        known = set(((c.get('Config') or {}).get('Labels') or {}).get(senv.LABEL_SERVICE) for c in inspect)
        unknown = [s for s in params['services'] if s not in known]
        if unknown:
            raise _Failed('services: %s has no running container in project %s on %s (running: %s)'
                          % (', '.join(unknown), project, where, ', '.join(sorted(k for k in known if k))),
                          'not_found')

    if env is None:
        env = read_env(docker, env_file)
    docker.masked = list(env.values())
    defined, files = read_definition(docker, project, inspect, module.warn)
    result = senv.compare(env, inspect, params['keys'], where, defined=defined, services=params['services'],
                          env_mtime=os.stat(env_file).st_mtime)
    result.update(env_file=env_file, definition=files, changed=False)
    if result['ok']:
        result['msg'] = '%d container%s of %s on %s hold%s the .env values of %d key%s' % (
            len(result['services']), '' if len(result['services']) == 1 else 's', project, where,
            's' if len(result['services']) == 1 else '', len(result['checked_keys']), '' if len(result['checked_keys']) == 1 else 's')
    else:
        result['msg'] = '; '.join(result['failures'])
    return result


def result_of(module, params, env=None):
    """(result, failed): the module's result for ``params``; ``failed`` when it fails whatever fail_on_error says
    (engine, input and .env errors), the result then carrying the cause and the fix."""
    try:
        return run(module, params, env), False
    except _Failed as exc:
        return dict(changed=False, ok=False, services=[], failures=[exc.msg], checked_keys=[], definition=[],
                    checks=[], env_file=params['env_file'] or '', reason=exc.reason, cause=exc.cause, fix=exc.fix,
                    msg=exc.msg), True
