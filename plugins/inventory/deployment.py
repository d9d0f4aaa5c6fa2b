# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: deployment
short_description: The servers of one 371GPT deployment, from the cloud, grouped as the playbooks expect
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Reads the servers of one OpenStack project with openstacksdk and keeps those that carry the deployment's mark
    (Nova metadata C(gpt371_deployment)), the mark that the role gpt371.infra.instances writes and teardown and scaling
    go by. The cloud is the source of truth; no file from an earlier run is read.
  - Each ACTIVE server becomes a host in the groups of its C(gpt371_groups) metadata (core, xpipe, kespa, database,
    agents, app), with C(ansible_host) chosen by O(access). Servers that are not ACTIVE are listed in the variable
    C(gpt371_not_active) of group C(all) (name, status, fault), so that a verify run can report them.
  - The host keys pinned in O(known_hosts_file) are also listed in the variable C(gpt371_known_hosts_lines) of group
    C(all), with the file's path in C(gpt371_known_hosts_file). A job that runs where the file is missing (an AWX job
    gets the inventory, not the update's files) writes them there first (the collection's servers.yml does).
  - The inventory file must end in C(deployment.yml) or C(deployment.yaml).
requirements:
  - openstacksdk
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: This plugin's name.
    type: str
    required: true
    choices: [gpt371.infra.deployment]
  deployment:
    description: The deployment's name (the playbooks' C(infra_deployment)).
    type: str
    default: gpt371
    env:
      - name: GPT371_DEPLOYMENT
  cloud:
    description: The C(clouds.yaml) entry to use; unset, openstacksdk's own choice (C(OS_CLOUD), C(OS_*) variables).
    type: str
    env:
      - name: OS_CLOUD
  access:
    description:
      - How the controller reaches the servers (the playbooks' C(infra_access)).
      - V(bastion) reaches the server of O(bastion_group) at its floating IP and every other server at its private
        address through it (an C(ssh -W) C(ProxyCommand) in C(ansible_ssh_common_args) that carries the key and the
        host key policy itself, so no C(ssh -F) file is needed), as on a cloud where only that server has a public
        address. Every host then gets C(ansible_ssh_retries=3), since the bastion's sshd drops connections beyond its
        C(MaxStartups) (10 by default) when more hosts connect at once, and a dropped one is tried again.
      - V(floating_ip) reaches every server at its own floating IP; V(fixed_ip) at its private address (the controller
        sits on the tenant network, or a VPN reaches it).
    type: str
    default: bastion
    choices: [bastion, floating_ip, fixed_ip]
    env:
      - name: GPT371_ACCESS
  bastion_group:
    description: The group whose server (with a floating IP) is the bastion when O(access=bastion).
    type: str
    default: core
  user:
    description: The SSH user on the servers (C(ansible_user)).
    type: str
    default: root
  ssh_args:
    description: More SSH options for every host (C(ansible_ssh_common_args)).
    type: str
    default: ''
  private_key_file:
    description:
      - The private key on the controller (C(ansible_ssh_private_key_file), and the hop's C(-i)).
      - Unset when ssh-agent or an AWX machine credential provides the key (the usual case).
    type: str
    default: ''
    env:
      - name: GPT371_PRIVATE_KEY_FILE
  known_hosts_file:
    description:
      - The known_hosts file that pins the servers' host keys; every connection (and the hop through the bastion)
        uses it with C(StrictHostKeyChecking=yes).
      - Default C(<state dir>/<deployment>_known_hosts), the file the role gpt371.infra.instances writes, where the
        state dir is C($GPT371_STATE_DIR), else C($XDG_STATE_HOME/gpt371), else C(~/.local/state/gpt371) (lookup
        gpt371.infra.state_dir).
    type: str
    env:
      - name: GPT371_KNOWN_HOSTS
  host_keys_from_console:
    description:
      - Pin the host keys of servers the known_hosts file does not know yet, read from each server's console log
        (cloud-init prints them), as the instances role does. Needed where no earlier job left the file (each AWX
        job starts in a fresh directory).
      - A key that differs from the pinned one is never replaced here; the inventory fails, naming the server and
        the command to accept the new key.
    type: bool
    default: true
  host_key_checking:
    description: V(false) turns host key checking off for these hosts (not for real clouds).
    type: bool
    default: true
'''

EXAMPLES = r'''
# inventory/deployment.yml; GPT371_DEPLOYMENT=prod OS_CLOUD=mycloud ansible-inventory -i inventory/ --graph
plugin: gpt371.infra.deployment
access: bastion
'''

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.gpt371.infra.plugins.lookup.state_dir import state_dir
from ansible_collections.gpt371.infra.plugins.module_utils import _mark
from ansible_collections.gpt371.infra.plugins.module_utils import _ssh_access

try:
    import openstack
    HAS_OPENSTACKSDK = True
except ImportError:
    HAS_OPENSTACKSDK = False


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = 'gpt371.infra.deployment'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('deployment.yml',
                                                                                 'deployment.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        if not HAS_OPENSTACKSDK:
            raise AnsibleParserError('gpt371.infra.deployment needs openstacksdk on the controller '
                                     '(pip install openstacksdk)')
        deployment = self.get_option('deployment')
        try:
            conn = openstack.connect(cloud=self.get_option('cloud') or None)
            # Nova filters names by regular expression; the metadata mark decides.
            servers = [server.to_dict(computed=False) for server in
                       conn.compute.servers(details=True, name='^%s-' % deployment)]
        except Exception as exc:  # openstacksdk raises many types; all mean "no inventory"
            raise AnsibleParserError('gpt371.infra.deployment: reading the servers of cloud %r failed: %s'
                                     % (self.get_option('cloud') or '(default)', exc))
        known_hosts = (self.get_option('known_hosts_file')
                       or os.path.join(state_dir(os.environ), deployment + '_known_hosts'))
        checking = self.get_option('host_key_checking')
        found = _mark.hosts_from_servers(servers, deployment, access=self.get_option('access'),
                                         bastion_group=self.get_option('bastion_group'),
                                         user=self.get_option('user'), ssh_args=self.get_option('ssh_args'),
                                         key_file=self.get_option('private_key_file') or '',
                                         known_hosts_file=known_hosts if checking else '',
                                         host_key_checking=checking)
        if found['errors']:
            raise AnsibleParserError('gpt371.infra.deployment: ' + '; '.join(found['errors']))
        if checking and self.get_option('host_keys_from_console'):
            self._pin_host_keys(conn, found, known_hosts)
        for group in sorted(found['groups']):
            self.inventory.add_group(group)
        for name, hostvars in sorted(found['hosts'].items()):
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
        for group, names in found['groups'].items():
            for name in names:
                self.inventory.add_child(group, name)
        self.inventory.set_variable('all', 'gpt371_not_active', found['not_active'])
        self.inventory.set_variable('all', 'gpt371_known_hosts_file', known_hosts if checking else '')
        # The pinned keys travel with the inventory: AWX computes it in an inventory update that runs apart from
        # the job, so the job has no such file; playbooks/servers.yml writes these lines there first.
        self.inventory.set_variable('all', 'gpt371_known_hosts_lines',
                                    self._pinned_lines(known_hosts) if checking else [])
        strict = self.get_option('strict')
        for name, hostvars in found['hosts'].items():
            self._set_composite_vars(self.get_option('compose'), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, name, strict=strict)

    @staticmethod
    def _pinned_lines(known_hosts):
        """The host key lines of the known_hosts file (none when it does not exist)."""
        text = _ssh_access.read_known_hosts(known_hosts)
        return [entry['line'] for entry in _ssh_access.parse_known_hosts(text) if entry['hosts']]

    def _pin_host_keys(self, conn, found, known_hosts):
        """Adds the console's host keys of the hosts known_hosts does not pin yet; fails on a differing key."""
        existing = _ssh_access.read_known_hosts(known_hosts)
        pinned = set(h for e in _ssh_access.parse_known_hosts(existing) for h in e['hosts'])
        wanted = []
        for target in found['host_keys']:  # every address of each host, as the instances role pins them
            if not target['addresses'] or set(target['addresses']) <= pinned:
                continue
            try:
                output = conn.compute.get_server_console_output(target['id']).get('output') or ''
            except Exception as exc:  # a console the cloud does not offer: the connection will say so
                self.display.warning('gpt371.infra.deployment: no console log of %s (%s); its host key is not '
                                     'pinned' % (target['name'], exc))
                continue
            wanted.append(dict(target, keys=_ssh_access.parse_console_host_keys(output)))
        if not wanted:
            return
        hint = ('run playbooks/provision.yml (or servers.yml) of this deployment with -e %s=true, which pins the new '
                'key in this file (when its infra_state_dir is this directory)' % _ssh_access.ACCEPT_OPTION)
        plan = _ssh_access.plan_known_hosts(existing, wanted, known_hosts_file=known_hosts, accept_hint=hint)
        if plan['mismatches']:
            raise AnsibleParserError('gpt371.infra.deployment: ' + ' '.join(m['message'] for m in plan['mismatches']))
        if plan['changed']:
            _ssh_access.write_known_hosts(known_hosts, plan['text'])
