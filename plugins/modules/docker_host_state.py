#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: docker_host_state
short_description: Read a Docker host in one run, and what differs from what the docker_host role wants
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads, in one module run on the host, what the C(gpt371.infra.docker_host) role manages. Which packages dpkg
    lacks (as M(gpt371.infra.deb_packages_info) does). Whether some files have the wanted content and mode (by
    SHA-1, as M(ansible.builtin.copy) compares them). Whether a managed block is as M(ansible.builtin.blockinfile)
    would write it. Which users are not in a group. Which version a Compose CLI plugin binary reports. Whether the
    engine's service starts at boot. Whether the engine answers, with its version and Compose's.
  - RV(plan) names what differs. The role calls apt, copy, blockinfile, user, service and its engine start only
    for those, so a host with nothing to change costs this one run.
  - Reads only; the same in check mode. No file content is returned, only whether it differs.
options:
  packages:
    description: Debian packages that must be installed.
    type: list
    elements: str
    default: []
  files:
    description: Files that must have this content and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file's path on the host.
        type: path
        required: true
      checksum:
        description: The SHA-1 (hex) of the wanted content, for example C({{ content | hash('sha1') }}).
        type: str
        required: true
      mode:
        description: The wanted mode, in octal (C(0644)); omitted, any mode.
        type: str
  blocks:
    description: Blocks that M(ansible.builtin.blockinfile) manages in a file.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file's path on the host.
        type: path
        required: true
      marker:
        description: The block's marker, with C({mark}) where BEGIN and END go (blockinfile's O(ansible.builtin.blockinfile#module:marker)).
        type: str
        required: true
      checksum:
        description:
          - The SHA-1 (hex) of the wanted block's lines joined by newlines (the text without its trailing newline).
          - Omitted or null, the block must be absent.
        type: str
  group:
    description: The group O(users) must belong to.
    type: str
    default: docker
  users:
    description: Users that must be members of O(group).
    type: list
    elements: str
    default: []
  compose_plugin:
    description:
      - A Compose CLI plugin binary the role installs itself; it must report O(compose_plugin.version), be owned
        by root and have mode 0755. Omitted, no plugin is read.
    type: dict
    suboptions:
      path:
        description: The binary's path (for example C(/usr/local/lib/docker/cli-plugins/docker-compose)).
        type: path
        required: true
      version:
        description: The version it must report (C(docker-compose version --short), a leading C(v) ignored).
        type: str
        required: true
  service:
    description: The engine's service; whether it starts at boot is read. Omitted, not read.
    type: dict
    suboptions:
      name:
        description: The service's name.
        type: str
        default: docker
      enabled:
        description: Whether it must start at boot.
        type: bool
        default: true
  engine:
    description:
      - Whether the engine must answer (C(true)), must not (C(false)), or is not read (omitted).
      - Read with C(docker version), and C(docker compose version --short) when O(compose) is true.
    type: bool
  compose:
    description: Also read the Compose plugin's version through the engine's CLI.
    type: bool
    default: true
  command_timeout:
    description: Seconds each command (dpkg-query, docker, the plugin, systemctl) may take before it counts as failed.
    type: int
    default: 20
requirements:
  - dpkg (Debian and its derivatives)
extends_documentation_fragment:
  - gpt371.infra.host_read
seealso:
  - module: gpt371.infra.deb_packages_info
'''

EXAMPLES = r'''
- name: Read the host
  gpt371.infra.docker_host_state:
    packages: [docker.io, python3-requests]
    files:
      - path: /etc/docker/daemon.json
        checksum: "{{ (daemon_options | to_nice_json ~ '\n') | hash('sha1') }}"
        mode: "0644"
    users: [deploy]
    compose_plugin:
      path: /usr/local/lib/docker/cli-plugins/docker-compose
      version: 2.40.3
    service:
      name: docker
    engine: true
  register: host

- name: Install only what is missing
  ansible.builtin.apt:
    name: "{{ host.packages.missing }}"
  when: "'packages' in host.plan"
'''

RETURN = r'''
packages:
  description: What dpkg has of O(packages), as M(gpt371.infra.deb_packages_info) returns it.
  returned: always
  type: dict
  contains:
    installed:
      description: The installed names, each with its version.
      type: dict
    missing:
      description: The names not installed (undecided ones included).
      type: list
      elements: str
    undecided:
      description: The names left to apt (not plain package names).
      type: list
      elements: str
  sample: {installed: {docker.io: 20.10.24+dfsg1-1+deb12u1}, missing: [], undecided: []}
files_differ:
  description: The paths of O(files) that are missing or whose content or mode is not the wanted one.
  returned: always
  type: list
  elements: str
  sample: [/etc/docker/daemon.json]
blocks_differ:
  description: The paths of O(blocks) whose block is not the wanted one (or present when it must be absent).
  returned: always
  type: list
  elements: str
  sample: []
users_missing:
  description: The users of O(users) that are not members of O(group) (all of them when the group does not exist).
  returned: always
  type: list
  elements: str
  sample: []
compose_plugin:
  description: What the plugin binary of O(compose_plugin) is; empty when O(compose_plugin) is omitted.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the binary exists.
      type: bool
    version:
      description: The version it reports, or null.
      type: str
    outdated:
      description: Whether it must be installed again (missing, another version, mode or owner).
      type: bool
  sample: {exists: true, version: 2.40.3, outdated: false}
service:
  description: The service of O(service); empty when O(service) is omitted.
  returned: always
  type: dict
  contains:
    name:
      description: Its name.
      type: str
    enabled:
      description: Whether it starts at boot; null when the service manager could not tell.
      type: bool
  sample: {name: docker, enabled: true}
engine:
  description: Whether the engine answered, and the versions read; empty when O(engine) is omitted.
  returned: always
  type: dict
  contains:
    running:
      description: Whether C(docker version) reached the engine.
      type: bool
    version:
      description: The engine's version, or null.
      type: str
    compose_version:
      description: The Compose plugin's version as the CLI reports it (no leading C(v)), or null.
      type: str
  sample: {running: true, version: 20.10.24+dfsg1, compose_version: 2.40.3}
plan:
  description:
    - What differs, in the order the role applies it; empty when the host is as wanted.
    - Names among C(packages), C(files), C(blocks), C(users), C(compose_plugin), C(service) and C(engine).
  returned: always
  type: list
  elements: str
  sample: [files, engine]
'''

import glob
import grp
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpt371.infra.plugins.module_utils import _docker_host_state as state
from ansible_collections.gpt371.infra.plugins.module_utils._deb_packages import query_command, sort_packages


def run(module, argv, timeout):
    """(rc, stdout) of a command bounded by coreutils' timeout; rc None when it could not start or ran out of time
    (a docker CLI whose engine socket hangs must not hang the read)."""
    timeout_bin = module.get_bin_path('timeout')
    if timeout_bin:
        argv = [timeout_bin, '-k', '2', str(timeout)] + list(argv)
    try:
        rc, out, _err = module.run_command(argv, environ_update={'LC_ALL': 'C'}, errors='surrogate_or_replace')
    except OSError:
        return None, ''
    return (None if timeout_bin and rc in (124, 137) else rc), out


def read_file(path):
    """{'sha1', 'mode'} of a file, or None when it is not a regular file."""
    if not os.path.isfile(path):
        return None
    with open(path, 'rb') as handle:
        content = handle.read()
    return {'sha1': state.sha1(content), 'mode': '%04o' % (os.stat(path).st_mode & 0o7777)}


def read_text(path):
    if not os.path.isfile(path):
        return None
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8', 'replace')


def group_members(group):
    try:
        return set(grp.getgrnam(group).gr_mem)
    except KeyError:
        return set()


def service_enabled(module, name, timeout):
    """True/False when systemd or the sysvinit links tell whether the service starts at boot, else None."""
    systemctl = module.get_bin_path('systemctl')
    if systemctl and os.path.isdir('/run/systemd/system'):
        rc, out = run(module, [systemctl, 'is-enabled', name], timeout)
        words = out.split()
        if rc == 0 and words[:1] in (['enabled'], ['enabled-runtime'], ['static'], ['generated']):
            return True
        if words[:1] in (['disabled'], ['masked'], ['masked-runtime']):
            return False
        return None
    # sysvinit (update-rc.d): start links in the multi-user runlevels.
    if glob.glob('/etc/rc[2345].d/S[0-9][0-9]%s' % name) or glob.glob('/etc/rc[2345].d/S%s' % name):
        return True
    return False if os.path.exists('/etc/init.d/' + name) else None


def read_plugin(module, path, timeout):
    if not os.path.isfile(path):
        return None
    status = os.stat(path)
    rc, out = run(module, [path, 'version', '--short'], timeout)
    return {'version': state.short_version(out) if rc == 0 else None,
            'mode': '%04o' % (status.st_mode & 0o7777), 'uid': status.st_uid}


def read_engine(module, compose, timeout):
    docker = module.get_bin_path('docker')
    out = {'running': False, 'version': None, 'compose_version': None}
    if not docker:
        return out
    rc, version = run(module, [docker, 'version', '--format', '{{.Server.Version}}'], timeout)
    if rc != 0 or not version.strip():
        return out
    out.update(running=True, version=version.strip())
    if compose:
        rc, version = run(module, [docker, 'compose', 'version', '--short'], timeout)
        out['compose_version'] = state.short_version(version) if rc == 0 else None
    return out


def main():
    module = AnsibleModule(
        argument_spec={
            'packages': {'type': 'list', 'elements': 'str', 'default': []},
            'files': {'type': 'list', 'elements': 'dict', 'default': [], 'options': {
                'path': {'type': 'path', 'required': True},
                'checksum': {'type': 'str', 'required': True},
                'mode': {'type': 'str'}}},
            'blocks': {'type': 'list', 'elements': 'dict', 'default': [], 'options': {
                'path': {'type': 'path', 'required': True},
                'marker': {'type': 'str', 'required': True},
                'checksum': {'type': 'str'}}},
            'group': {'type': 'str', 'default': 'docker'},
            'users': {'type': 'list', 'elements': 'str', 'default': []},
            'compose_plugin': {'type': 'dict', 'options': {
                'path': {'type': 'path', 'required': True},
                'version': {'type': 'str', 'required': True}}},
            'service': {'type': 'dict', 'options': {
                'name': {'type': 'str', 'default': 'docker'},
                'enabled': {'type': 'bool', 'default': True}}},
            'engine': {'type': 'bool'},
            'compose': {'type': 'bool', 'default': True},
            'command_timeout': {'type': 'int', 'default': 20},
        },
        supports_check_mode=True)
    params = module.params
    timeout = params['command_timeout']
    if timeout < 1:
        module.fail_json(msg='docker_host_state: command_timeout must be at least 1 second (got %d)' % timeout)
    for block in params['blocks']:
        if '{mark}' not in block['marker']:
            module.fail_json(msg='docker_host_state: the marker of the block in %s has no {mark} (got %r): '
                                 'blockinfile could not tell its BEGIN from its END' % (block['path'], block['marker']))

    names = [name.strip() for name in params['packages'] if name and name.strip()]
    listing = ''
    if names:
        dpkg_query = module.get_bin_path('dpkg-query')
        if not dpkg_query:
            module.fail_json(msg='docker_host_state: dpkg-query was not found: packages can only be read on Debian '
                                 'or a derivative')
        rc, listing = run(module, query_command(dpkg_query, names), timeout)
        if rc not in (0, 1):  # 1: some name is unknown to dpkg (missing); the known ones are still listed
            module.fail_json(msg='docker_host_state: dpkg-query failed (exit %s)' % rc)
    packages = sort_packages(names, listing)

    files_differ = [item['path'] for item in params['files']
                    if state.file_differs(read_file(item['path']), item['checksum'], item['mode'])]
    blocks_differ = [item['path'] for item in params['blocks']
                     if state.block_differs(read_text(item['path']), item['marker'], item['checksum'])]
    members = group_members(params['group']) if params['users'] else set()
    users_missing = [user for user in params['users'] if user not in members]

    plugin = {}
    if params['compose_plugin']:
        read = read_plugin(module, params['compose_plugin']['path'], timeout)
        plugin = {'exists': read is not None, 'version': (read or {}).get('version'),
                  'outdated': state.plugin_differs(read, params['compose_plugin']['version'])}
    service = {}
    if params['service']:
        service = {'name': params['service']['name'],
                   'enabled': service_enabled(module, params['service']['name'], timeout)}
    engine = read_engine(module, params['compose'], timeout) if params['engine'] is not None else {}

    module.exit_json(
        changed=False, packages=packages, files_differ=files_differ, blocks_differ=blocks_differ,
        users_missing=users_missing, compose_plugin=plugin, service=service, engine=engine,
        plan=state.plan(packages['missing'], files_differ, blocks_differ, users_missing, plugin.get('outdated'),
                        service.get('enabled'), params['service']['enabled'] if params['service'] else None,
                        engine.get('running'), params['engine']))


if __name__ == '__main__':
    main()
