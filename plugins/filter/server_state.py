# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: server_state
short_description: Compare the deployment's servers on the cloud with the wanted ones
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Takes the servers C(openstack.cloud.server_info) found with the deployment's metadata mark and the wanted list
    of C(gpt371.infra.server_plan).
  - Returns C(current) (wanted and found), C(missing) (wanted names not found), C(duplicates) (names found more than
    once), C(extra_agents) (the deployment's agents beyond the agent count, to delete when scaling down), C(hosts)
    (ACTIVE servers with an address, for the in-memory inventory), C(not_active), C(to_apply), C(outputs) and
    C(catalog_to_create).
  - C(to_apply) lists the wanted servers that are missing or whose metadata, security groups or O(tags) differ
    from the wanted ones (what C(openstack.cloud.server) would change), so a no-op run calls the server module for
    none of them. A field the found record lacks counts as different.
  - C(catalog_to_create) is C({images, flavors}), the names the missing servers use, each once and sorted; the
    only ones to look up (C(openstack.cloud.server) reads an image and a flavor only to create a server).
  - Each C(not_active) entry is C({name, id, status, fault, fix, message}); the fix fits the state (ERROR - the
    fault, then reset the state, rebuild, or delete and provision again; SHUTOFF - start).
options:
  _input:
    description: The servers found (C(server_info)'s C(servers)).
    type: list
    elements: dict
    required: true
  wanted:
    description: C(gpt371.infra.server_plan)'s C(servers).
    type: list
    elements: dict
    required: true
  name_prefix:
    description: Prefix of the server names (agents are keyed by their bare name in C(outputs.servers)).
    type: str
    default: ''
  tags:
    description: The servers' wanted tags (C(instances_tags)); omitted, tags are not compared.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Sort the servers
  ansible.builtin.set_fact:
    instances__state: >-
      {{ instances__found.servers | gpt371.infra.server_state(instances__servers, instances_name_prefix,
                                                              instances_tags) }}
'''

RETURN = r'''
_value:
  description: C(current), C(missing), C(duplicates), C(extra_agents), C(hosts), C(not_active), C(to_apply),
    C(outputs), C(catalog_to_create).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._server_plan import server_state


class FilterModule(object):
    def filters(self):
        return {'server_state': server_state}
