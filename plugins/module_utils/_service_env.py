# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values a running service holds against the deployed .env (issue 13, class 9): pure functions.

The service_env module gathers three readings on an app host and hands them here:

  env       the .env as docker compose reads a service's `env_file:` (names to values),
  defined   {service: environment} of the project's own compose files as compose resolves them today
            (`docker compose config`: env_file plus `environment:`), or None when they could not be read,
  inspect   `docker inspect` of the project's running containers (the JSON list).

compare() says, per container, which selected keys it runs without and which it holds with another value than
today's definition would give it. Values are compared as SHA-256 digests and never leave these functions: the
results and messages carry key names only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import fnmatch
import hashlib
import hmac
import json
import re
import time

# The points the guide wires every service to (integration guide, "Environment Variables").
DEFAULT_KEYS = ['DB_*', 'STORAGE_*', 'XPIPE_*']
LABEL_PROJECT = 'com.docker.compose.project'
LABEL_SERVICE = 'com.docker.compose.service'
LABEL_CONFIG_FILES = 'com.docker.compose.project.config_files'
LABEL_WORKING_DIR = 'com.docker.compose.project.working_dir'
LABEL_ENV_FILE = 'com.docker.compose.project.environment_file'
# The synthetic service through which compose reads the .env exactly as a service's `env_file:`.
READER_SERVICE = 'gpt371-senv-dotenv'
_KEY_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.*?\[\]-]*$')
_LINE_RE = re.compile(r'\bline (\d+)\b')


def key_errors(keys):
    """Errors of the `keys` option (names or shell patterns such as DB_*)."""
    if not keys:
        return ['keys must name at least one variable or pattern (for example DB_*); got an empty list']
    bad = [k for k in keys if not isinstance(k, str) or not _KEY_RE.match(k)]
    if bad:
        return ['keys: %s is not a variable name or a shell pattern of one (for example DB_PASSWORD or DB_*)'
                % ', '.join(repr(k) for k in bad)]
    return []


def select(names, keys):
    """The names matching any of `keys` (exact names or fnmatch patterns, case-sensitive), sorted."""
    return sorted(n for n in names if any(fnmatch.fnmatchcase(n, k) for k in keys))


def digest(value):
    return hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()


def container_env(config_env):
    """Config.Env (a list of KEY=value) as a dictionary; the last entry of a key wins, as in the process."""
    out = {}
    for item in config_env or []:
        key, sep, value = item.partition('=')
        if sep:
            out[key] = value
    return out


def reader_compose(env_file):
    """The compose file (JSON is YAML) of one service that does nothing but read `env_file` as compose does."""
    return json.dumps({'services': {READER_SERVICE: {'image': 'scratch', 'env_file': [env_file]}}})


def _unescape(value):
    # `docker compose config` escapes every `$` of a resolved value as `$$` (so its output is a valid compose file).
    return None if value is None else value.replace('$$', '$')


def config_environments(text):
    """{service: {key: value}} of `docker compose config --format json`; keys without a value are left out."""
    data = json.loads(text)
    services = data.get('services') or {}
    out = {}
    for name, service in services.items():
        env = (service or {}).get('environment') or {}
        if isinstance(env, list):  # older compose printed KEY=value lists
            env = container_env(env)
        out[name] = dict((k, _unescape(v)) for k, v in env.items() if v is not None)
    return out


def scrub(text, values):
    """`text` with every value of the .env long enough to be a secret (4+ characters) masked."""
    for value in sorted(set(v for v in values if v and len(v) >= 4), key=len, reverse=True):
        text = text.replace(value, '********')
    return text


def reader_error(stderr, env_file, where):
    """A failed read of the .env by compose: the line only, never its content."""
    match = _LINE_RE.search(stderr or '')
    line = ' (line %s)' % match.group(1) if match else ''
    return ('docker compose cannot read the .env %s on %s%s: fix that line (the gpt371.infra.dotenv filter reads '
            'the file alike and names the same line), or rewrite the file with the app_env role'
            % (env_file, where, line))


def project_files(containers):
    """(working_dir, config files, env files) recorded by compose on the project's containers (first one wins)."""
    for item in containers:
        labels = (item.get('Config') or {}).get('Labels') or {}
        files = [f for f in (labels.get(LABEL_CONFIG_FILES) or '').split(',') if f]
        if files:
            env_files = [f for f in (labels.get(LABEL_ENV_FILE) or '').split(',') if f]
            return labels.get(LABEL_WORKING_DIR) or None, files, env_files
    return None, [], []


def _names(items, limit=6):
    items = list(items)
    shown = ', '.join(items[:limit])
    return shown + (' and %d more' % (len(items) - limit) if len(items) > limit else '')


def _name(item):
    return (item.get('Name') or item.get('Id', '')[:12]).lstrip('/')


def compare(env, inspect, keys, where, defined=None, services=None, env_mtime=None):
    """Compare each running container of `inspect` with what it should hold today.

    env        the .env (names to values) as compose reads it;
    inspect    `docker inspect` JSON (a list of containers);
    keys       names or patterns selecting the .env keys to compare;
    where      the host, as messages name it;
    defined    {service: environment} of the project's compose files as compose resolves them now, or None;
    services   limit to these service names (None: all);
    env_mtime  the .env's modification time (epoch seconds): a container created before it runs on values
               "older than the .env".

    Returns {ok, reason, checked_keys, services: [{service, container, created, missing, stale, ok}], failures,
    cause, fix, checks}: cause and fix are the findings' halves (joined by '; '), checks one {name, ok, detail}
    per container: the shape of the probes' results, so the integration report reads it as a probe row.
    """
    checked = select(env, keys)
    rows, groups = [], {}
    for item in sorted(inspect, key=lambda c: (((c.get('Config') or {}).get('Labels') or {}).get(LABEL_SERVICE, ''),
                                               _name(c))):
        labels = (item.get('Config') or {}).get('Labels') or {}
        service = labels.get(LABEL_SERVICE) or _name(item)
        if services and service not in services:
            continue
        have = container_env((item.get('Config') or {}).get('Env'))
        wanted = dict(env)
        definition = (defined or {}).get(service)
        if definition is not None:
            wanted.update(definition)  # `environment:` wins over env_file, as in compose
        missing = [k for k in checked if k not in have]
        stale = [k for k in checked if k in have and not hmac.compare_digest(digest(have[k]), digest(wanted[k]))]
        created = item.get('Created') or ''
        row = {'service': service, 'container': _name(item), 'created': created, 'missing': missing,
               'stale': stale, 'ok': not (missing or stale)}
        rows.append(row)
        if not row['ok']:
            gives = None if definition is None else all(k in definition for k in missing)
            group = groups.setdefault((service, tuple(missing), tuple(stale), gives), [])
            group.append(row)
    findings = []  # (cause, fix)
    for (service, missing, stale, gives), members in sorted(groups.items(), key=lambda g: g[0][:3]):
        containers = 'container%s %s' % ('s' if len(members) > 1 else '', _names(m['container'] for m in members))
        if missing:
            if gives:
                fix = 'its definition gives it the .env now: recreate it (docker compose up -d, or the stack role)'
            elif gives is False:
                fix = ('its compose definition does not give it the .env: add `env_file: .env` to service %s and '
                       'recreate it' % service)
            else:
                fix = 'give it the .env (`env_file: .env`) and recreate it'
            findings.append(('service %s on %s runs without %s (%s)' % (service, where, _names(missing), containers),
                             fix))
        if stale:
            older = env_mtime is not None and all(_before(m['created'], env_mtime) for m in members)
            what = ('a %s' % stale[0]) if len(stale) == 1 else ('%s values' % _names(stale))
            findings.append(('service %s on %s runs with %s %s (%s)'
                             % (service, where, what, 'older than the .env' if older else 'that differs from the .env',
                                containers),
                             'recreate it (docker compose up -d, or the stack role) so it reads the .env again'))
    failures = ['%s: %s' % finding for finding in findings]
    reason = None
    if any(r['missing'] for r in rows):
        reason = 'env_missing'
    elif any(r['stale'] for r in rows):
        reason = 'env_stale'
    checks = [_check(r, checked) for r in rows]
    return {'ok': not failures, 'reason': reason, 'checked_keys': checked, 'services': rows, 'failures': failures,
            'cause': '; '.join(f[0] for f in findings),
            'fix': '; '.join(_unique(f[1] for f in findings)), 'checks': checks}


def _check(row, checked):
    """A container as one check of a probe result: {name, ok, detail}."""
    parts = []
    if row['missing']:
        parts.append('without %s' % ', '.join(row['missing']))
    if row['stale']:
        parts.append('stale %s' % ', '.join(row['stale']))
    detail = '; '.join(parts) or 'holds the .env values of %d key%s' % (len(checked), '' if len(checked) == 1 else 's')
    return {'name': 'service %s (%s)' % (row['service'], row['container']), 'ok': row['ok'], 'detail': detail}


def _unique(items):
    seen = set()
    return [i for i in items if not (i in seen or seen.add(i))]


def _before(created, epoch):
    """Whether the RFC 3339 time `created` (docker's Created, nanoseconds and Z) is before `epoch`."""
    seconds = created_epoch(created)
    return seconds is not None and seconds < epoch


def created_epoch(created):
    """docker's Created (2026-12-03T12:07:17.123456789Z) as epoch seconds, or None."""
    match = re.match(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$', created or '')
    if not match:
        return None
    seconds = calendar.timegm(time.strptime(match.group(1), '%Y-%m-%dT%H:%M:%S'))
    if match.group(2):
        seconds += float('0' + match.group(2)[:10])
    zone = match.group(3)
    if zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds
