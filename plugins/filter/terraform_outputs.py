# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: terraform_outputs
short_description: The provisioning results shaped like C(terraform output -json)
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Builds C({"name" {"value" ..., "sensitive" bool, "type" ...}}) from the C(instances_outputs) and
    C(network_outputs) facts - C(core_instance_ip), C(xpipe_instance_ip), C(kespa_instance_ip),
    C(supabase_instance_ip), C(api_floating_ip), C(agent_instance_ips), C(agent_count), C(instance_ids),
    C(network_id), C(subnet_cidr), ... - and the settings that do not come from the cloud.
  - Secrets are written, trimmed and C(sensitive), only when non-empty. O(extra) adds outputs, plain or as
    C({"value" ..., "sensitive" true}).
  - Types follow Terraform - C(string), C(bool), C(number), C(["map", "string"]), C(["list", "string"]).
options:
  _input:
    description: The instances role's C(instances_outputs).
    type: dict
    required: true
  network_outputs:
    description: The network role's C(network_outputs).
    type: dict
    required: true
  deployment:
    description: Deployment name.
    type: str
    required: true
  settings:
    description: C(database_user), C(database_name), C(database_port), C(storage_endpoint), C(storage_bucket), C(xpipe_port).
    type: dict
  secrets:
    description: C(database_password), C(storage_access_key), C(storage_secret_key).
    type: dict
  extra:
    description: More outputs.
    type: dict
'''

EXAMPLES = r'''
- name: Compose the outputs
  ansible.builtin.set_fact:
    outputs__values: "{{ instances_outputs | gpt371.infra.terraform_outputs(network_outputs, 'prod') }}"
  no_log: true
'''

RETURN = r'''
_value:
  description: Output name to C({value, sensitive, type}).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._outputs import terraform_outputs


class FilterModule(object):
    def filters(self):
        return {'terraform_outputs': terraform_outputs}
