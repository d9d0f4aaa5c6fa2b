# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: marked_resources
short_description: Of what the project holds, the resources carrying one deployment's mark (teardown)
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Takes the marked servers and the C(openstack.cloud.*_info) lists, and returns by kind what the teardown role
    deletes - C(servers), C(floating_ips) (on the servers' ports), C(keypairs) (names), C(routers) and
    C(networks) (tagged O(mark_tag)), C(subnets) (on a marked network or tagged), C(security_groups) (named
    O(security_group_prefix)* with O(mark_tag) as a word of the description).
options:
  _input:
    description: Servers carrying the deployment's metadata mark.
    type: list
    elements: dict
    required: true
  mark_tag:
    description: The tag C(deployment=<name>).
    type: str
    required: true
  security_group_prefix:
    description: Name prefix of the deployment's groups.
    type: str
    required: true
  ports:
    description: Ports (C(port_info)).
    type: list
    elements: dict
  floating_ips:
    description: Floating IPs (C(floating_ip_info)).
    type: list
    elements: dict
  keypairs:
    description: Key pairs (C(keypair_info)).
    type: list
    elements: dict
  routers:
    description: Routers (C(routers_info)).
    type: list
    elements: dict
  networks:
    description: Networks (C(networks_info)).
    type: list
    elements: dict
  subnets:
    description: Subnets (C(subnets_info)).
    type: list
    elements: dict
  security_groups:
    description: Security groups (C(security_group_info)).
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: Select the resources carrying the mark
  ansible.builtin.set_fact:
    teardown__marked: >-
      {{ teardown__server_info.servers | gpt371.infra.marked_resources('deployment=prod', 'prod-',
         routers=teardown__router_info.routers) }}
'''

RETURN = r'''
_value:
  description: Resources by kind (C(servers), C(floating_ips), C(keypairs), C(routers), C(networks), C(subnets),
    C(security_groups)).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._teardown import marked_resources


class FilterModule(object):
    def filters(self):
        return {'marked_resources': marked_resources}
