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
        address through it (SSH C(ProxyJump)), as on a cloud where only that server has a public address.
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
    description: More SSH options for every host (C(ansible_ssh_common_args)), e.g. a known_hosts file.
    type: str
    default: ''
'''

EXAMPLES = r'''
# inventory/deployment.yml; GPT371_DEPLOYMENT=prod OS_CLOUD=mycloud ansible-inventory -i inventory/ --graph
plugin: gpt371.infra.deployment
access: bastion
'''

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.gpt371.infra.plugins.module_utils import _mark

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
        found = _mark.hosts_from_servers(servers, deployment, access=self.get_option('access'),
                                         bastion_group=self.get_option('bastion_group'),
                                         user=self.get_option('user'), ssh_args=self.get_option('ssh_args'))
        if found['errors']:
            raise AnsibleParserError('gpt371.infra.deployment: ' + '; '.join(found['errors']))
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
        strict = self.get_option('strict')
        for name, hostvars in found['hosts'].items():
            self._set_composite_vars(self.get_option('compose'), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, name, strict=strict)
