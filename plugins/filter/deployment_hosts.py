# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: deployment_hosts
short_description: A deployment's servers as inventory hosts, reached by bastion, floating IP or fixed IP
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - The same hosts, groups and variables as the inventory plugin gpt371.infra.deployment, from server records already
    read (C(openstack.cloud.server_info)), for C(ansible.builtin.add_host).
  - Only servers carrying the deployment's mark count; only ACTIVE ones become hosts.
options:
  _input:
    description: Server records (C(openstack.cloud.server_info)'s C(servers)).
    type: list
    elements: dict
    required: true
  deployment:
    description: The deployment's name.
    type: str
    required: true
  access:
    description: V(bastion), V(floating_ip) or V(fixed_ip) (see the inventory plugin).
    type: str
    default: bastion
  bastion_group:
    description: The group whose server holds the floating IP the others are reached through.
    type: str
    default: core
  user:
    description: C(ansible_user) of every host.
    type: str
    default: root
  ssh_args:
    description: More C(ansible_ssh_common_args) for every host.
    type: str
    default: ''
  key_file:
    description:
      - Private key on the controller (C(ansible_ssh_private_key_file), and C(-i) of the hop through the bastion).
      - Empty for none, when ssh-agent or an AWX machine credential holds the key.
    type: str
    default: ''
  known_hosts_file:
    description:
      - The known_hosts file that pins the servers' host keys (C(StrictHostKeyChecking=yes)), for the target and the
        hop through the bastion. Empty uses the user's own known_hosts files, still strictly.
    type: str
    default: ''
  host_key_checking:
    description: V(false) turns host key checking off (C(ansible.cfg)'s C(host_key_checking=False)).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Hosts of the deployment, core reached at its floating IP and the rest through it
  ansible.builtin.set_fact:
    found: "{{ servers.servers | gpt371.infra.deployment_hosts('prod', access='bastion') }}"
'''

RETURN = r'''
_value:
  description:
    - C(hosts) (name to host variables, with C(ansible_host), C(ansible_ssh_common_args) (the host key policy and,
      through a bastion, an C(ssh -W) C(ProxyCommand) that needs no C(ssh -F) file), C(gpt371_bastion) and, with
      O(access=bastion), C(ansible_ssh_retries) (the bastion's sshd drops connections beyond its C(MaxStartups)
      when many hosts connect at once, so a dropped one is tried again)),
      C(groups) (group to host names), C(not_active) (name, status, fault), C(errors) (empty when usable) and
      C(host_keys) (per host C(name), C(id), C(addresses) and C(launched_at), what gpt371.infra.server_host_keys
      pins).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._mark import hosts_from_servers


def deployment_hosts(servers, deployment, access='bastion', bastion_group='core', user='root', ssh_args='',
                     key_file='', known_hosts_file='', host_key_checking=True):
    return hosts_from_servers(list(servers or []), deployment, access=access, bastion_group=bastion_group,
                              user=user, ssh_args=ssh_args, key_file=key_file or '',
                              known_hosts_file=known_hosts_file or '', host_key_checking=bool(host_key_checking))


class FilterModule(object):
    def filters(self):
        return {'deployment_hosts': deployment_hosts}
