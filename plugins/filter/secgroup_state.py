# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: secgroup_state
short_description: Name the declared security groups that openstack.cloud.security_group would change
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Takes the security groups one C(openstack.cloud.security_group_info) call lists and the network plan's groups.
  - Returns C(to_apply), the names of the groups that are missing, whose description differs, or whose rules differ
    from the declared ones plus O(common_rules) (a declared rule without its match, or a rule no declared one
    matches), compared as C(openstack.cloud.security_group) compares them; C(reasons), one per name in C(to_apply);
    and C(descriptions), the description the role gives each group (its own or its name, then O(tags)).
  - A remote group that is not in the listing, or a rule matched twice, puts the group in C(to_apply) too, so the
    module decides. A no-op run calls the module for no group.
options:
  _input:
    description: The groups found (C(security_group_info)'s C(security_groups)).
    type: list
    elements: dict
    required: true
  wanted:
    description: The network plan's C(groups) (C(name), C(description), C(rules)).
    type: list
    elements: dict
    required: true
  common_rules:
    description: The rules every group keeps besides its own (C(network_security_group_common_rules)).
    type: list
    elements: dict
    default: []
  tags:
    description: The deployment's tags, which end each group's description.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Name the groups the deploy must apply
  ansible.builtin.set_fact:
    network__secgroups: >-
      {{ network__security_groups_now.security_groups
         | gpt371.infra.secgroup_state(network__groups, network_security_group_common_rules, network_tags) }}
'''

RETURN = r'''
_value:
  description: C(to_apply) (names), C(reasons) (name to why), C(descriptions) (name to description).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._secgroup_apply import secgroup_state


class FilterModule(object):
    def filters(self):
        return {'secgroup_state': secgroup_state}
