# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: server_plan
short_description: The instances role's wanted servers and input errors, from its variables
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Builds the wanted server list - the fixed servers of the input, then C(<agent_name>-0 .. agent_count-1) - and
    applies the per-server overrides.
  - Each server gets C(full_name) (O(name_prefix) + name), C(image), C(flavor), C(floating_ip) (bool),
    C(group_names) (security group names of its purposes) and C(metadata) (O(metadata), the server's own, then the
    deployment mark C(gpt371_deployment), C(gpt371_role), C(gpt371_index), C(gpt371_groups)).
  - Returns the input errors too (deployment name, agent count, unknown purposes, duplicate names), each naming
    the option and the fix, so the precheck fails before any cloud call.
options:
  _input:
    description: The fixed servers (C(instances_servers)), each C(name), C(groups), C(security_groups).
    type: list
    elements: dict
    required: true
  deployment:
    description: Deployment name (C(instances_deployment)).
    type: str
    required: true
  agent_count:
    description: Number of agent servers (C(instances_agent_count)); a whole number >= 0.
    type: raw
    required: true
  name_prefix:
    description: Prefix of every server name.
    type: str
    required: true
  groups_by_purpose:
    description: Security group purpose to group name.
    type: dict
    required: true
  agent_name:
    description: Agent servers are C(<agent_name>-<i>).
    type: str
    default: agent-server
  agent_groups:
    description: Inventory groups of the agents.
    type: list
    elements: str
  agent_security_groups:
    description: Security group purposes of the agents.
    type: list
    elements: str
  overrides:
    description: Per-server settings by bare name.
    type: dict
  image:
    description: Image of a server without its own.
    type: str
  flavor:
    description: Flavor of a server without its own.
    type: str
  metadata:
    description: Extra metadata on every server.
    type: dict
'''

EXAMPLES = r'''
- name: Plan the servers
  ansible.builtin.set_fact:
    instances__plan: >-
      {{ instances_servers | gpt371.infra.server_plan(deployment=instances_deployment,
         agent_count=instances_agent_count, name_prefix=instances_name_prefix,
         groups_by_purpose=instances_security_groups_by_purpose) }}
'''

RETURN = r'''
_value:
  description: C(servers) (the wanted servers) and C(errors) (messages; empty when the input is valid).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._server_plan import server_plan


class FilterModule(object):
    def filters(self):
        return {'server_plan': server_plan}
