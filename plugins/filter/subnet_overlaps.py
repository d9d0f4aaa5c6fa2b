# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: subnet_overlaps
short_description: Whether a deployment's subnet collides with another deployment's or the external network's
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Returns one error per subnet that overlaps the wanted CIDR and either carries O(mark) without being this
    deployment's own subnet (O(own_name) with every tag of O(own_tags)) or sits on one of O(external_network_ids).
  - Each error names the subnet, its range and owner, and a free range of the same size to use instead.
  - Tags are read from the subnet's C(tags) and its C(description) (the network role writes both).
options:
  _input:
    description: The wanted CIDR (C(network_subnet_cidr)).
    type: str
    required: true
  subnets:
    description: C(openstack.cloud.subnets_info)'s C(subnets).
    type: list
    elements: dict
    required: true
  own_name:
    description: The deployment's own subnet name.
    type: str
    required: true
  own_tags:
    description: The deployment's tags (C(network_tags)).
    type: list
    elements: str
    required: true
  mark:
    description: The tag every gpt371 deployment carries.
    type: str
    default: gpt371
  external_network_ids:
    description: IDs of the external network(s) the router uses.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Check that the subnet does not collide
  ansible.builtin.assert:
    that: network__overlaps | length == 0
    fail_msg: "{{ network__overlaps | join(' ') }}"
  vars:
    network__overlaps: >-
      {{ network_subnet_cidr | gpt371.infra.subnet_overlaps(network__now.subnets, network_subnet_name,
         network_tags) }}
'''

RETURN = r'''
_value:
  description: Error messages; empty when nothing overlaps.
  type: list
  elements: str
'''

from ansible_collections.gpt371.infra.plugins.module_utils._network_plan import subnet_overlaps


class FilterModule(object):
    def filters(self):
        return {'subnet_overlaps': subnet_overlaps}
