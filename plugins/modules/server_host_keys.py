#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: server_host_keys
short_description: Pin servers' SSH host keys, read from their console logs, in a known_hosts file
version_added: 0.2.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads each server's console log (Nova's C(os-getConsoleOutput)), where cloud-init prints the SSH host keys
    between C(-----BEGIN SSH HOST KEY KEYS-----) and C(-----END SSH HOST KEY KEYS-----), and writes them to
    O(known_hosts_file) for every address of the server the controller connects to (its floating IP, its fixed IP
    behind a bastion). Runs then connect with C(StrictHostKeyChecking=yes) against that file, so the first
    connection trusts nothing it was not told by the cloud.
  - A console log may not show the keys yet (cloud-init prints them late in the first boot), so the module looks
    again every O(delay) seconds, up to O(timeout) seconds for all servers together, then fails naming the servers
    whose console showed none.
  - When the file already pins a different key for an address (a server re-created with the same IP, or rebuilt),
    the module fails naming the server, both keys and the command to accept the new key, and writes nothing;
    O(accept_new=true) replaces the old key. It never trusts a changed key silently.
  - Lines of the file that name other addresses (the user's own, other servers') are kept. Lines this module
    wrote for the servers in O(forget_ids) (servers deleted by this run) are removed.
  - Check mode reads the consoles and reports what would change, writing nothing.
options:
  servers:
    description: The servers to pin.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Server name (in messages and in the comment of its known_hosts lines).
        type: str
        required: true
      id:
        description: Server ID; the console log is read by it (by name when empty).
        type: str
      addresses:
        description: The addresses the controller uses for this server (empty entries are ignored).
        type: list
        elements: str
        required: true
      launched_at:
        description:
          - When Nova last built the server's disk (its C(launched_at)), written into the comment of its lines, so
            that a later run reads only the consoles of servers built since (filter gpt371.infra.host_keys_to_read).
          - Keys already pinned with another comment are written again with this one (the same keys).
        type: str
  known_hosts_file:
    description: The known_hosts file (created with mode 0600, its directory 0700, when missing).
    type: path
    required: true
  accept_new:
    description: Replace a pinned key that differs from the console's (after a server was re-created).
    type: bool
    default: false
  forget_ids:
    description: IDs of servers that no longer exist (deleted by this run); their lines are removed.
    type: list
    elements: str
    default: []
  delay:
    description: Seconds between two looks at the consoles that did not show the keys yet.
    type: int
    default: 5
notes:
  - O(timeout) (default V(180)) of the OpenStack options below bounds the wait for the keys to appear in the
    consoles, for all servers together.
requirements:
  - python >= 3.6
  - openstacksdk >= 1.0.0
extends_documentation_fragment:
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Pin the host keys of the new servers
  gpt371.infra.server_host_keys:
    cloud: mycloud
    servers:
      - {name: prod-core, id: 0b6f..., addresses: [10.10.0.5, 203.0.113.7]}
      - {name: prod-xpipe, id: 77a1..., addresses: [10.10.0.6]}
    known_hosts_file: ~/.local/state/gpt371/prod_known_hosts
    timeout: 300
'''

RETURN = r'''
known_hosts_file:
  description: The file written (or that would be written in check mode).
  returned: always
  type: str
added:
  description: Addresses pinned for the first time.
  returned: success
  type: list
  elements: str
replaced:
  description: Addresses whose old key was replaced (only with O(accept_new=true)).
  returned: success
  type: list
  elements: str
servers:
  description: Per server, C(name), C(id), C(addresses), C(keys) (the key types the console showed) and
    C(waited) (seconds until the console showed them).
  returned: always
  type: list
  elements: dict
mismatches:
  description: Addresses whose pinned key differs from the console's, each with C(name), C(id), C(address),
    C(pinned), C(console) and C(message) (what to run to accept the new key).
  returned: always
  type: list
  elements: dict
'''

import time

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule
from ansible_collections.gpt371.infra.plugins.module_utils._ssh_access import (
    parse_console_host_keys, plan_known_hosts, write_known_hosts)


class ServerHostKeysModule(OpenStackModule):
    argument_spec = dict(
        servers=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            id=dict(type='str'),
            addresses=dict(type='list', elements='str', required=True),
            launched_at=dict(type='str'),
        )),
        known_hosts_file=dict(type='path', required=True),
        accept_new=dict(type='bool', default=False),
        forget_ids=dict(type='list', elements='str', default=[]),
        delay=dict(type='int', default=5),
    )
    module_kwargs = dict(supports_check_mode=True)

    def _console(self, server):
        ref = server.get('id') or self.conn.compute.find_server(server['name'], ignore_missing=False).id
        return (self.conn.compute.get_server_console_output(ref) or {}).get('output') or ''

    def _read_keys(self, servers):
        """{name: (keys, waited)}: every console polled until it shows keys, all within one timeout."""
        start = time.monotonic()
        found = {}
        while True:
            for server in servers:
                if server['name'] in found:
                    continue
                keys = parse_console_host_keys(self._console(server))
                if keys:
                    found[server['name']] = (keys, round(time.monotonic() - start, 1))
            missing = [s['name'] for s in servers if s['name'] not in found]
            if not missing or time.monotonic() - start >= self.params['timeout']:
                return found, missing
            time.sleep(max(1, self.params['delay']))

    def run(self):
        path = self.params['known_hosts_file']
        servers = self.params['servers']
        found, missing = self._read_keys(servers)
        report = [{'name': s['name'], 'id': s.get('id'), 'addresses': [a for a in s['addresses'] if a],
                   'keys': [t for t, _k in found.get(s['name'], ([], 0))[0]],
                   'waited': found.get(s['name'], ([], None))[1]} for s in servers]
        if missing:
            self.fail_json(
                msg='the console log of %s showed no SSH host keys within %d s (cloud-init prints them between '
                    '-----BEGIN SSH HOST KEY KEYS----- and -----END SSH HOST KEY KEYS----- when the first boot '
                    'ends). Look at it with: openstack console log show %s. If the image is slow to boot, raise '
                    'instances_host_keys_timeout; nothing was written to %s.'
                    % (', '.join(missing), self.params['timeout'], missing[0], path),
                known_hosts_file=path, servers=report, mismatches=[])
        try:
            with open(path) as handle:
                existing = handle.read()
        except (IOError, OSError):
            existing = ''
        wanted = [dict(s, keys=found[s['name']][0]) for s in servers]
        plan = plan_known_hosts(existing, wanted, known_hosts_file=path, accept_new=self.params['accept_new'],
                                forget_ids=self.params['forget_ids'])
        if plan['mismatches']:
            self.fail_json(msg=' '.join(m['message'] for m in plan['mismatches']) + ' Nothing was written.',
                           known_hosts_file=path, servers=report, mismatches=plan['mismatches'])
        if plan['changed'] and not self.ansible.check_mode:
            write_known_hosts(path, plan['text'])
        self.exit_json(changed=plan['changed'], known_hosts_file=path, added=plan['added'],
                       replaced=plan['replaced'], servers=report, mismatches=[])


def main():
    module = ServerHostKeysModule()
    module()


if __name__ == '__main__':
    main()
