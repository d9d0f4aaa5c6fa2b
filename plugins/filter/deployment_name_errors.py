# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: deployment_name_errors
short_description: Why a deployment name cannot be used, the same rule in every provisioning role
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Returns the list of problems with a deployment name, each naming the option and the fix; empty when valid.
  - A name is letters, digits, C(.), C(_) and C(-), starts and ends with a letter or digit, and has at most 40
    characters (so C(<name>-agent-server-<i>) stays a valid host name).
  - The network, instances and teardown roles check it in their precheck, before any cloud call.
options:
  _input:
    description: The deployment name.
    type: str
    required: true
  option:
    description: The variable name used in the messages.
    type: str
    default: infra_deployment
'''

EXAMPLES = r'''
- name: Check the deployment name
  ansible.builtin.assert:
    that: network_deployment | gpt371.infra.deployment_name_errors('network_deployment') | length == 0
    fail_msg: "{{ network_deployment | gpt371.infra.deployment_name_errors('network_deployment') | join(' ') }}"
'''

RETURN = r'''
_value:
  description: Error messages; empty when the name is valid.
  type: list
  elements: str
'''

from ansible_collections.gpt371.infra.plugins.module_utils._deployment import deployment_name_errors


class FilterModule(object):
    def filters(self):
        return {'deployment_name_errors': deployment_name_errors}
