# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""The stack role's plan: what the host has, what is wanted, what to do (the stack_plan action plugin).

Nothing here runs a command. The host is read by one shell script (probe_command(), run by the action
plugin like ansible.builtin.raw: no Python on the host) that tags every line it prints:

  P                       the project directory exists
  D                       <project>/.deployed exists (the record of the last healthy deployment)
  F <sha256>  <file>      checksum of a project file (sha256sum's own line)
  M <text>                .deployed/manifest.json (one line per line of the file)
  R <service> <hash> <image>                         a container of the record (.deployed/containers)
  C <service> <hash> <image> <name> <state> <status>  a live container of the project
  I <name:tag> <id>       an image on the host (only when images are shipped)
  E <tag> <text>          a line (stdout or stderr) of a command that failed
  X <tag> <rc>            that command's exit status

Docker's stderr is never thrown away: when the engine is down, `docker ps` fails, its message comes back as
E lines and probe_errors() names the cause and the fix. parse_probe() reads the output, plan() compares it with
the wanted definition, and record_command() writes the record the next probe reads: the format lives here only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re
from shlex import quote

PROJECT_NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
RECORD_DIR = '.deployed'
# docker ps / docker images formats (Go templates). A record line is the first three fields of a live line.
FMT_RECORD = '{{.Label "com.docker.compose.service"}} {{.Label "com.docker.compose.config-hash"}} {{.Image}}'
FMT_LIVE = FMT_RECORD + ' {{.Names}} {{.State}} {{.Status}}'
FMT_IMAGES = '{{.Repository}}:{{.Tag}} {{.ID}}'

_SUM_RE = re.compile(r'^\\?([0-9a-f]{64}) [ *](.+)$')
_HASH_RE = re.compile(r'^[0-9a-f]{64}$')
_NOT_RUNNING_RE = re.compile(r'Cannot connect to the Docker daemon at (\S+?)\.?(?:\s|$)')
_DENIED_RE = re.compile(r'permission denied while trying to connect to the Docker (?:daemon socket|API) at (\S+?):?(?:\s|$)',
                        re.IGNORECASE)
_NOT_FOUND_RE = re.compile(r'docker: (?:command )?not found')
_WHAT = {'C': 'docker ps', 'I': 'docker images', 'F': 'sha256sum', 'M': 'reading .deployed/manifest.json',
         'R': 'reading .deployed/containers', 'cd': 'entering the project directory'}
# The fix for each failure class, on a host and on the controller.
FIXES = {
    'host': {'down': 'start it, or run configure.yml', 'denied': 'run with become, or add the user to the docker group',
             'missing': 'run configure.yml (the docker_host role installs it)'},
    'controller': {'down': 'start it (make engine)', 'denied': 'add your user to the docker group',
                   'missing': 'install it (make setup)'},
}


def unique(items):
    """items without repeats, in first-seen order."""
    seen = set()
    return [i for i in items if not (i in seen or seen.add(i))]


def basename(path):
    return path.rstrip('/').rsplit('/', 1)[-1]


def sources(source_dir, compose_files, extra_files):
    """{basename: controller path} of the compose and extra files (relative to source_dir unless absolute).

    A later file with the same basename wins, in the place of the first (what a copy by basename does)."""
    out = {}
    for path in list(compose_files) + list(extra_files):
        out[basename(path)] = path if path.startswith('/') else '%s/%s' % (source_dir.rstrip('/'), path)
    return out


def sha256_file(path):
    """The file's sha256 (hex), or None when it is not there."""
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as handle:
            for block in iter(lambda: handle.read(1 << 20), b''):
                digest.update(block)
    except (IOError, OSError):
        return None
    return digest.hexdigest()


def check_variables(project_name, compose_files, wait_timeout, ship_images, images, missing_sources):
    """Errors in the role's variables (empty when they are right)."""
    errors = []
    if not PROJECT_NAME_RE.match(project_name or ''):
        errors.append('project_name must be a lowercase compose project name ([a-z0-9][a-z0-9_-]*), got %r' % project_name)
    if not compose_files:
        errors.append('compose_files is empty')
    if wait_timeout is None or wait_timeout <= 0:
        errors.append('wait_timeout must be > 0, got %r' % wait_timeout)
    if ship_images and not images:
        errors.append('images is empty while ship_images is true')
    if missing_sources:
        errors.append('not on the controller: %s' % ', '.join(missing_sources))
    return errors


def docker_cli(docker_host=None):
    """The docker command line prefix (DOCKER_HOST set for this command when compose talks to a remote engine)."""
    return 'DOCKER_HOST=%s docker' % quote(docker_host) if docker_host else 'docker'


def ps_args(project_name, fmt):
    """`docker ps` arguments listing the project's containers (one-off `compose run` containers excluded)."""
    return ['ps', '-a', '--filter', 'label=com.docker.compose.project=' + project_name,
            '--filter', 'label=com.docker.compose.oneoff=False', '--format', fmt]


def compose_argv(project_name, project_dir, compose_names, env_file):
    """`docker compose` with the project's name, directory, env file and compose files: add the subcommand."""
    return (['docker', 'compose', '--project-name', project_name, '--project-directory', project_dir,
             '--env-file', '%s/%s' % (project_dir, env_file)]
            + ['--file=%s/%s' % (project_dir, name) for name in compose_names])


def probe_command(project_dir, names, project_name, docker_host=None, read_images=False):
    """The read-only POSIX sh script that reports what the host has (the tagged lines of the module docstring).

    names: the project's files to checksum (compose, extra and env file basenames)."""
    q = quote
    lines = [
        # p TAG CMD...: CMD's output (stderr included) tagged; when it fails, "E TAG" lines and "X TAG <rc>".
        'p() { t=$1; shift; o=$("$@" 2>&1); r=$?; if [ $r -eq 0 ]; then u=$t; else u="E $t"; fi;'
        ' [ -z "$o" ] || printf \'%s\\n\' "$o" | sed "s/^/$u /"; [ $r -eq 0 ] || echo "X $t $r"; }',
    ]
    if docker_host:
        lines.append('DOCKER_HOST=%s; export DOCKER_HOST' % q(docker_host))
    lines += [
        'if [ -d %s ]; then echo P' % q(project_dir),
        '  if cd %s; then' % q(project_dir),
        '    [ ! -d %s ] || echo D' % RECORD_DIR,
        '    for f in %s; do [ ! -e "$f" ] || p F sha256sum -- "$f"; done' % ' '.join(q(n) for n in unique(names)),
        '    [ ! -f %s/manifest.json ] || p M cat %s/manifest.json' % (RECORD_DIR, RECORD_DIR),
        '    [ ! -f %s/containers ] || p R cat %s/containers' % (RECORD_DIR, RECORD_DIR),
        '  else echo "X cd $?"; fi',
        'fi',
        'p C docker %s' % ' '.join(q(a) for a in ps_args(project_name, FMT_LIVE)),
    ]
    if read_images:
        lines.append('p I docker images --no-trunc --format %s' % q(FMT_IMAGES))
    lines.append('true')
    return '\n'.join(lines)


def record_command(names, project_name, docker_host=None):
    """Shell run in the project directory after a healthy up, the manifest (JSON) on stdin: copies the files into
    .deployed/ and writes the containers compose made (service, config hash, image) and the manifest."""
    return ('cp -p -- %s %s/ && %s %s > %s/containers.new && cat > %s/manifest.json.new'
            ' && mv -f %s/containers.new %s/containers && mv -f %s/manifest.json.new %s/manifest.json'
            % (' '.join(quote(n) for n in unique(names)), RECORD_DIR, docker_cli(docker_host),
               ' '.join(quote(a) for a in ps_args(project_name, FMT_RECORD)),
               RECORD_DIR, RECORD_DIR, RECORD_DIR, RECORD_DIR, RECORD_DIR, RECORD_DIR))


def health(status):
    """healthy / unhealthy / starting from a docker ps status ("Up 3 minutes (healthy)"), None without a healthcheck."""
    for word, value in (('(healthy)', 'healthy'), ('(unhealthy)', 'unhealthy'), ('(health: starting)', 'starting')):
        if word in status:
            return value
    return None


def parse_container(text):
    """A live container from a C line's text, or None when the text is not one."""
    fields = text.split(' ', 5)
    if len(fields) < 5 or not _HASH_RE.match(fields[1]):
        return None
    status = fields[5] if len(fields) > 5 else ''
    return {'service': fields[0], 'config_hash': fields[1], 'image': fields[2], 'name': fields[3],
            'state': fields[4], 'status': status, 'health': health(status)}


def parse_images(text):
    """{name:tag: id} from `docker images --format FMT_IMAGES` lines."""
    images = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            images[fields[0]] = fields[-1]
    return images


def parse_probe(stdout):
    """What the host has, from the probe's output (CRs of a pty removed).

    Returns a dict: project_dir, deployed_dir (bool), sums {file: sha256}, manifest (dict, {} when absent),
    manifest_error (str or None), recorded [record lines], containers [dicts], images {name:tag: id},
    failures {tag: {'rc': int or None, 'lines': [...]}}, other [lines the probe did not tag]."""
    have = {'project_dir': False, 'deployed_dir': False, 'sums': {}, 'manifest': {}, 'manifest_error': None,
            'recorded': [], 'containers': [], 'images': {}, 'failures': {}, 'other': []}
    manifest = []
    for line in stdout.splitlines():
        line = line.rstrip('\r')
        tag, dummy, rest = line.partition(' ')
        if line == 'P':
            have['project_dir'] = True
        elif line == 'D':
            have['deployed_dir'] = True
        elif tag == 'F' and _SUM_RE.match(rest):
            match = _SUM_RE.match(rest)
            have['sums'][match.group(2)] = match.group(1)
        elif tag == 'M':
            manifest.append(rest)
        elif tag == 'R':
            if rest.strip():
                have['recorded'].append(rest.strip())
        elif tag == 'C' and parse_container(rest):
            have['containers'].append(parse_container(rest))
        elif tag == 'I':
            have['images'].update(parse_images(rest))
        elif tag in ('E', 'X') and rest:
            section, dummy, text = rest.partition(' ')
            failure = have['failures'].setdefault(section, {'rc': None, 'lines': []})
            if tag == 'E':
                failure['lines'].append(text)
            else:
                failure['rc'] = int(text) if text.strip().isdigit() else text
        elif line.strip():
            have['other'].append(line)
    if manifest:
        try:
            have['manifest'] = json.loads('\n'.join(manifest))
        except ValueError as exc:
            have['manifest_error'] = 'not JSON (%s)' % exc
        if not isinstance(have['manifest'], dict):
            have['manifest'], have['manifest_error'] = {}, 'not a JSON object'
    return have


def docker_error(what, rc, lines, where, kind='host'):
    """One sentence naming why a docker command failed on `where` and the fix (FIXES[kind])."""
    text = ' '.join(line.strip() for line in lines if line.strip())
    fixes = FIXES[kind]
    match = _NOT_RUNNING_RE.search(text)
    if match:
        return 'the Docker engine on %s is not running (socket %s): %s' % (where, match.group(1), fixes['down'])
    match = _DENIED_RE.search(text)
    if match:
        return ('the Docker engine on %s refused the connection (permission denied on socket %s): %s'
                % (where, match.group(1), fixes['denied']))
    if rc == 127 or _NOT_FOUND_RE.search(text):
        return 'the Docker CLI is not installed on %s: %s' % (where, fixes['missing'])
    return '%s failed on %s (exit %s): %s' % (what, where, rc, text or 'no output')


def probe_errors(have, host, project_dir, rc=0, stderr=''):
    """Errors of the probe itself: a command that failed on the host, or the shell (rc, stderr) that ran it."""
    errors = []
    for tag in sorted(have['failures']):
        failure = have['failures'][tag]
        lines = failure['lines'] or have['other'] + stderr.splitlines()
        if tag in ('C', 'I'):
            errors.append(docker_error(_WHAT[tag], failure['rc'], lines, host))
        else:
            what = _WHAT.get(tag, tag)
            if tag == 'cd':
                what += ' ' + project_dir
            text = ' '.join(x.strip() for x in lines if x.strip()) or 'no output'
            errors.append('%s failed on %s (exit %s): %s' % (what, host, failure['rc'], text))
    if rc:
        output = ' '.join(x.strip() for x in have['other'] + stderr.splitlines() if x.strip())
        errors.append('the probe failed on %s (exit %s): %s' % (host, rc, output or 'no output'))
    return errors


def plan(have, project_name, compose_names, extra_names, env_file, sums, env_checksum=None, images=None,
         controller_images=None, pull='missing', env_path='.env'):
    """What to do to get the wanted definition, from what the host has (parse_probe(); None: the host was not read,
    only the controller's side is checked and nothing is planned).

    sums: {file: sha256 on the controller (None: missing)} of the compose and extra files; env_checksum: sha256 of
    the env file the role writes (None: another role writes it, it must be on the host); images: the images to ship
    (None: none shipped), controller_images: {name:tag: id} on the controller.
    Returns files (to copy or write), images (to ship), sums (of the wanted definition), errors, reasons, unhealthy
    (services) and manifest (to record after a healthy up)."""
    controller_images = controller_images or {}
    errors = ['%s is not on the controller (build it first, e.g. examples/reference-stack/build.sh)' % image
              for image in unique(images or []) if image not in controller_images]
    want = dict(sums)
    if env_checksum:
        want[env_file] = env_checksum
    manifest = {'files': list(compose_names), 'extra': list(extra_names), 'env_file': env_file, 'sums': want,
                'project': project_name}
    todo = {'files': [], 'images': [], 'sums': want, 'errors': errors, 'reasons': [], 'unhealthy': [],
            'manifest': manifest}
    if have is None:
        return todo
    todo['files'] = [name for name in sums if have['sums'].get(name) != sums[name]]
    if env_checksum:
        if have['sums'].get(env_file) != env_checksum:
            todo['files'].append(env_file)
    elif env_file in have['sums']:
        want[env_file] = have['sums'][env_file]
    else:
        errors.append('the env file %s is missing (no env_checksum: the role writes it only from a non-empty stack_env,'
                      ' else app_env writes it)' % env_path)
    todo['images'] = [image for image in unique(images or [])
                      if image in controller_images and have['images'].get(image) != controller_images[image]]
    live = ['%s %s %s' % (c['service'], c['config_hash'], c['image']) for c in have['containers']]
    todo['unhealthy'] = unique(c['service'] for c in have['containers']
                               if c['state'] != 'running' or c['health'] in ('unhealthy', 'starting'))
    reasons = todo['reasons']
    if todo['files']:
        reasons.append('files differ: ' + ', '.join(todo['files']))
    if todo['images']:
        reasons.append('images to ship: ' + ', '.join(todo['images']))
    if any(have['manifest'].get(key) != manifest[key] for key in ('sums', 'files', 'extra', 'env_file')):
        reasons.append('no healthy deployment of this definition recorded')
    if sorted(have['recorded']) != sorted(live):
        reasons.append('containers differ from the recorded deployment')
    if todo['unhealthy']:
        reasons.append('not running or not healthy: ' + ', '.join(todo['unhealthy']))
    if pull == 'always':
        reasons.append('pull is always')
    return todo
