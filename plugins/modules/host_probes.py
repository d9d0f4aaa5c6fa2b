#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: host_probes
short_description: Run every integration probe of one 371GPT app host in one module run
version_added: 0.1.0
description:
  - Reads the app host's C(.env) (O(env_file), or O(env)), names the keys a wanted point lacks, compares it with
    O(expected_env) (only key names leave the host), then runs the probes of O(points) side by side, that is
    V(database) (the checks of M(gpt371.infra.pg_probe)), V(storage) (M(gpt371.infra.s3_probe)), V(xpipe)
    (M(gpt371.infra.xpipe_health)) and V(services) (M(gpt371.infra.service_env)).
  - The connection values come from the C(.env) on the host and never travel to the controller. One module run
    per host instead of one per probe and one to read the file; the verify role runs it on every app
    host.
  - Each probe returns what its own module returns with C(fail_on_error=false); the task itself succeeds whatever
    the probes find (RV(ok) says whether every probe passed), and fails only when the C(.env) cannot be read or an
    option of this module is invalid.
author:
  - gpt371.infra maintainers (@gpt371)
requirements:
  - psycopg2 on the host for the V(database) point (its probe fails with reason C(dependency) without it).
  - The docker CLI with the compose v2 plugin for the V(services) point.
options:
  env_file:
    description:
      - The deployed C(.env) on the host (written by the app_env role), read with the compose C(.env) rules.
      - Ignored when O(env) is given.
    type: path
    default: /opt/371gpt/.env
  env:
    description:
      - The connection values, instead of reading O(env_file) (the verify role's O(env_file)-less mode). Never logged.
    type: dict
  expected_env:
    description:
      - Values the C(.env) must hold (the provisioned ones). Only the names of keys whose values differ are
        returned (RV(env_mismatch)). Never logged.
    type: dict
  points:
    description: The integration points to probe.
    type: list
    elements: str
    choices: [database, storage, xpipe, services]
    default: [database, storage, xpipe, services]
  database:
    description:
      - Options of M(gpt371.infra.pg_probe) for the V(database) point, such as C(ssl_mode), C(ca_cert),
        C(required_extensions) and C(check_auth_schema).
      - C(host), C(port), C(dbname), C(user) and C(password) come from the C(.env) (C(DB_HOST), C(DB_PORT),
        C(DB_NAME), C(DB_USER), C(DB_PASSWORD)) and may not be set here.
    type: dict
    default: {}
  storage:
    description:
      - Options of M(gpt371.infra.s3_probe) for the V(storage) point, such as C(mode), C(validate_certs) and
        C(ca_cert).
      - C(endpoint_url), C(access_key), C(secret_key) and C(bucket) come from the C(.env) (C(STORAGE_ENDPOINT),
        C(STORAGE_ACCESS_KEY), C(STORAGE_SECRET_KEY), C(STORAGE_BUCKET)) and may not be set here.
    type: dict
    default: {}
  xpipe:
    description:
      - Options of M(gpt371.infra.xpipe_health) for the V(xpipe) point, such as C(validate_certs), C(ca_cert) and
        C(expected_json), and C(scheme) (V(https) or V(http), default V(https)) and C(path) (default C(/health)) of
        the URL, whose host and port come from C(XPIPE_HOST) and C(XPIPE_PORT) (default 8080).
      - C(url) and C(api_key) (C(XPIPE_API_KEY)) come from the C(.env) and may not be set here.
    type: dict
    default: {}
  services:
    description:
      - Options of M(gpt371.infra.service_env) for the V(services) point; C(project) is required with that point.
      - When the point compares the containers with O(env_file) itself, the file read here serves it too (read with
        the environment the docker CLI gets, by the same reader as the C(gpt371.infra.dotenv) filter, which reads
        every C(.env) byte for byte as compose does); a C(.env) of its own is read by compose.
    type: dict
    default: {}
  host_name:
    description: The host's name in messages (the inventory name); the services point's C(host_name) by default.
    type: str
  retries:
    description: Retries of a transient failure, for each probe that does not set its own.
    type: int
    default: 2
  delay:
    description: Seconds before a probe's first retry, for each probe that does not set its own.
    type: float
    default: 1.0
  timeout:
    description:
      - Deadline in seconds of each network probe (the probes run at the same time, so it also bounds the task),
        and of each docker command of the services point, unless the probe sets its own.
    type: float
    default: 30.0
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The probes change nothing (the storage probe's object is removed again) and run the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row, the second run reports no change.
    support: full
notes:
  - Values of keys whose names end in C(PASSWORD), C(SECRET), C(SECRET_KEY), C(ACCESS_KEY), C(API_KEY) or C(TOKEN)
    are masked in every output, as are the probes' own secret options.
seealso:
  - module: gpt371.infra.pg_probe
  - module: gpt371.infra.s3_probe
  - module: gpt371.infra.xpipe_health
  - module: gpt371.infra.service_env
  - module: gpt371.infra.integration_report
'''

EXAMPLES = r'''
- name: Probe every integration point from this app host, with the values of its .env
  gpt371.infra.host_probes:
    env_file: /opt/371gpt/.env
    host_name: "{{ inventory_hostname }}"
    database: {ssl_mode: verify-full, ca_cert: /etc/371gpt/ca.pem, check_auth_schema: true}
    storage: {ca_cert: /etc/371gpt/ca.pem}
    xpipe: {ca_cert: /etc/371gpt/ca.pem}
    services: {project: gpt371, env_file: /opt/371gpt/.env}
  register: probes

- name: Only the database and the object storage
  gpt371.infra.host_probes:
    points: [database, storage]
    retries: 0
'''

RETURN = r'''
ok:
  description: Every probe of O(points) ran and passed.
  returned: always
  type: bool
env_file:
  description: The C(.env) read, or an empty string with O(env).
  returned: always
  type: str
env_missing:
  description: Keys a wanted point needs that the C(.env) lacks; the probes of such a point do not run.
  returned: always
  type: list
  elements: str
  sample: [DB_PASSWORD]
env_mismatch:
  description: Keys whose value differs from O(expected_env), or null when O(expected_env) is empty.
  returned: always
  type: list
  elements: str
  sample: [DB_HOST]
agent_count:
  description: C(AGENT_COUNT) of the C(.env), or null when it has none.
  returned: always
  type: int
  sample: 3
probes:
  description:
    - One result per point that ran, keyed by point, each in the shape of its module's result (C(ok), C(checks),
      C(reason), C(cause), C(fix), C(msg) and the module's own values), a point whose keys the C(.env) lacks
      left out.
  returned: always
  type: dict
  sample:
    database: {ok: true, server_version: '17.2', tls_version: TLSv1.3, attempts: 1}
missing_libraries:
  description:
    - Python libraries the probes of O(points) use that this host's Python cannot import, C(psycopg2) (needed by
      the V(database) point, which fails with reason C(dependency) without it) and C(cryptography) (used by the
      V(xpipe) point only to read a certificate it does not validate).
    - The verify role's deploy action installs them and probes again.
  returned: always
  type: list
  elements: str
  sample: [psycopg2]
elapsed_ms:
  description: Milliseconds for the whole run (the probes overlap).
  returned: always
  type: int
'''

import re
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gpt371.infra.plugins.module_utils._dotenv import DotenvError, parse
from ansible_collections.gpt371.infra.plugins.module_utils._probe import elapsed_ms, embedded_params
from ansible_collections.gpt371.infra.plugins.module_utils._pg_probe import HAS_PSYCOPG2, PgProbe
from ansible_collections.gpt371.infra.plugins.module_utils._s3_probe import S3Probe
from ansible_collections.gpt371.infra.plugins.module_utils._service_env_check import (
    ARGUMENT_SPEC as SERVICES_SPEC, REQUIRED_ONE_OF as SERVICES_REQUIRED_ONE_OF, env_from_text,
    result_of as services_result)
from ansible_collections.gpt371.infra.plugins.module_utils._xpipe_probe import XpipeHealth

POINTS = ('database', 'storage', 'xpipe', 'services')
# The keys each point cannot run without (the guide's .env).
REQUIRED_KEYS = {'database': ('DB_HOST', 'DB_USER', 'DB_PASSWORD'),
                 'storage': ('STORAGE_ENDPOINT', 'STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY'),
                 'xpipe': ('XPIPE_HOST',), 'services': ()}
# Options each probe takes from the .env, never from this module's dicts.
FROM_ENV = {'database': ('host', 'port', 'dbname', 'user', 'password', 'ssl_rootcert'),
            'storage': ('endpoint_url', 'access_key', 'secret_key', 'bucket', 'aws_access_key_id',
                        'aws_secret_access_key'),
            'xpipe': ('url', 'api_key')}
# The libraries each point's probe imports beyond the standard library.
LIBRARIES = {'database': 'psycopg2', 'xpipe': 'cryptography'}
SECRET_KEY_RE = re.compile(r'(PASSWORD|SECRET|SECRET_KEY|ACCESS_KEY|API_KEY|TOKEN)$')


class InputError(Exception):
    """An option of this module is invalid, or the .env cannot be read: the task fails with this message."""


def read_env(module):
    """(values, path, text) of the .env: the ``env`` option (no path or text), else env_file as compose reads it."""
    p = module.params
    if p['env'] is not None:
        return dict((k, to_text(v)) for k, v in p['env'].items() if v is not None), '', None
    path = p['env_file']
    try:
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8')
    except (IOError, OSError) as exc:
        raise InputError('cannot read the .env %s on %s (%s): run the app_env role (configure.yml) to write it, '
                         'or set env_file' % (path, where(module), exc.strerror or exc))
    except UnicodeDecodeError:
        raise InputError('the .env %s on %s is not UTF-8 text: write it again with the app_env role' % (
            path, where(module)))
    try:
        return parse(text, {}), path, text
    except DotenvError as exc:
        raise InputError('the .env %s on %s does not parse: %s' % (path, where(module), exc))


def where(module):
    return module.params['host_name'] or 'this host'


def probe_values(point, options, env):
    """The probe's options: this module's dict for ``point`` and the shared options under it, then the .env's."""
    p = options
    if point == 'database':
        return dict(p, host=env['DB_HOST'], port=env.get('DB_PORT') or 5432, dbname=env.get('DB_NAME') or '371gpt',
                    user=env['DB_USER'], password=env['DB_PASSWORD'])
    if point == 'storage':
        return dict(p, endpoint_url=env['STORAGE_ENDPOINT'], access_key=env['STORAGE_ACCESS_KEY'],
                    secret_key=env['STORAGE_SECRET_KEY'], bucket=env.get('STORAGE_BUCKET') or '371gpt-assets')
    scheme, path = p.pop('scheme', 'https'), p.pop('path', '/health')
    if scheme not in ('http', 'https'):
        raise InputError('xpipe.scheme must be https or http (got %r)' % (scheme,))
    if not str(path).startswith('/'):
        raise InputError('xpipe.path must start with / (got %r), e.g. /health' % (path,))
    return dict(p, url='%s://%s:%s%s' % (scheme, env['XPIPE_HOST'], env.get('XPIPE_PORT') or 8080, path),
                api_key=env.get('XPIPE_API_KEY') or None)


def build_probes(module, env, points, env_text=None):
    """[(point, callable returning the result)] for the points to run; their secrets added to no_log_values.
    env_text: the text of env_file, which the services point then reads in Python instead of through compose."""
    p = module.params
    shared = dict(retries=p['retries'], delay=p['delay'], timeout=p['timeout'], fail_on_error=False)
    runs = []
    for point, probe_class in (('database', PgProbe), ('storage', S3Probe), ('xpipe', XpipeHealth)):
        if point not in points:
            continue
        given = dict(p[point])
        taken = sorted(set(given) & set(FROM_ENV[point]))
        if taken:
            raise InputError('%s: %s come%s from the .env, not from this option: remove %s' % (
                point, ', '.join(taken), 's' if len(taken) == 1 else '', ', '.join(taken)))
        params, secrets, error = embedded_params(probe_class, probe_values(point, dict(shared, **given), env))
        module.no_log_values.update(s for s in secrets if s)
        if error:
            runs.append((point, lambda error=error: error))
        else:
            runs.append((point, lambda cls=probe_class, params=params: cls(params, module.warn).execute()))
    if 'services' in points:
        given = dict(p['services'])
        given.setdefault('host_name', p['host_name'])
        given.setdefault('timeout', max(1, int(p['timeout'])))
        given.setdefault('env_file', p['env_file'] if p['env'] is None else None)
        given['fail_on_error'] = False
        checked = ArgumentSpecValidator(SERVICES_SPEC, required_one_of=SERVICES_REQUIRED_ONE_OF).validate(
            dict((k, v) for k, v in given.items() if v is not None))
        if checked.error_messages:
            raise InputError('services: %s' % '; '.join(checked.error_messages))
        params = checked.validated_parameters
        # The file this module read (not one the services option names): read once more, with the environment the
        # docker CLI gets, in Python rather than by a `docker compose config` run of its own.
        env_read = env_from_text(env_text, params.get('docker_host')) if (
            env_text is not None and params.get('env_file') == p['env_file']) else None
        runs.append(('services', lambda: services_result(module, params, env_read)[0]))
    return runs


def run_all(runs):
    """Each probe in a thread of its own: a point that retries or waits for its deadline does not hold the others."""
    results = {}

    def work(point, call):
        try:
            results[point] = call()
        except Exception as exc:  # a bug: this point's row says so, the others still report
            results[point] = dict(ok=False, reason='error', failed_check='run', checks=[],
                                  cause='probe error: %s: %s' % (type(exc).__name__, exc),
                                  fix='report this as a bug of gpt371.infra', msg='probe error: %s' % exc)

    threads = [threading.Thread(target=work, args=run, name='probe-%s' % run[0]) for run in runs]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    for result in results.values():
        result.pop('bug', None)
        result.setdefault('changed', False)
    return results


def missing_libraries(points):
    """The libraries of LIBRARIES that the points use and this Python cannot import (nothing is imported here)."""
    from importlib.util import find_spec

    missing = []
    for point in points:
        name = LIBRARIES.get(point)
        if name == 'psycopg2' and not HAS_PSYCOPG2 or name == 'cryptography' and find_spec(name) is None:
            missing.append(name)
    return missing


def main():
    module = AnsibleModule(
        argument_spec=dict(
            env_file=dict(type='path', default='/opt/371gpt/.env'),
            env=dict(type='dict', no_log=True),
            expected_env=dict(type='dict', no_log=True),
            points=dict(type='list', elements='str', choices=list(POINTS), default=list(POINTS)),
            database=dict(type='dict', default={}),
            storage=dict(type='dict', default={}),
            xpipe=dict(type='dict', default={}),
            services=dict(type='dict', default={}),
            host_name=dict(type='str'),
            retries=dict(type='int', default=2),
            delay=dict(type='float', default=1.0),
            timeout=dict(type='float', default=30.0),
        ),
        supports_check_mode=True,
    )
    started = time.monotonic()
    p = module.params
    points = [point for point in POINTS if point in p['points']]
    try:
        env, env_file, env_text = read_env(module)
        module.no_log_values.update(v for k, v in env.items() if SECRET_KEY_RE.search(k) and v)
        missing = sorted(set(k for point in points for k in REQUIRED_KEYS[point] if not env.get(k)))
        runnable = [point for point in points if not set(REQUIRED_KEYS[point]) & set(missing)]
        runs = build_probes(module, env, runnable, env_text)
    except InputError as exc:
        module.fail_json(msg=str(exc), ok=False, probes={}, env_missing=[], env_mismatch=None, agent_count=None,
                         missing_libraries=[])
    expected = p['expected_env'] or {}
    mismatch = sorted(k for k, v in expected.items() if to_text(env.get(k, '')) != to_text(v)) if expected else None
    probes = run_all(runs)
    try:
        agent_count = int(env['AGENT_COUNT']) if env.get('AGENT_COUNT') else None
    except ValueError:
        agent_count = None
    module.exit_json(changed=False, ok=not missing and all(r.get('ok') for r in probes.values()), env_file=env_file,
                     env_missing=missing, env_mismatch=mismatch, agent_count=agent_count, probes=probes,
                     missing_libraries=missing_libraries(points), elapsed_ms=elapsed_ms(started))


if __name__ == '__main__':
    main()
