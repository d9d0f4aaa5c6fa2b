# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: network_plan
short_description: The network role's declared security groups, checked, and the rules the audit expects
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Merges the declared groups (a group of O(extra) replaces the one of the same name), and returns them as
    C(groups), the rules the audit expects (C(required_rules), every group's rules and O(common_rules), each with its
    C(security_group)), and C(by_purpose) (purpose to group name).
  - C(errors) lists every input problem before any cloud call, each naming the option and the fix - the deployment
    name, the subnet and admin CIDRs (the admin range must not be the whole internet), unique group names, rules
    naming undeclared remote groups or malformed CIDRs, declared rules opening a sensitive port to the internet.
options:
  _input:
    description: C(network_security_groups).
    type: list
    elements: dict
    required: true
  extra:
    description: C(network_security_groups_extra).
    type: list
    elements: dict
  common_rules:
    description: Rules every group keeps (C(network_security_group_common_rules)).
    type: list
    elements: dict
  deployment:
    description: Deployment name.
    type: str
  subnet_cidr:
    description: CIDR of the private subnet.
    type: str
  admin_cidr:
    description: Range SSH is admitted from.
    type: str
  sensitive_ports:
    description: Ports no declared rule may open to the internet.
    type: list
    elements: int
  fail_on_severity:
    description: The audit's threshold (checked against its choices).
    type: str
    default: high
'''

EXAMPLES = r'''
- name: Plan the network
  ansible.builtin.set_fact:
    network__plan: >-
      {{ network_security_groups | gpt371.infra.network_plan(extra=network_security_groups_extra,
         common_rules=network_security_group_common_rules, deployment=network_deployment,
         subnet_cidr=network_subnet_cidr, admin_cidr=network_admin_cidr) }}
'''

RETURN = r'''
_value:
  description: C(groups), C(required_rules), C(by_purpose), C(errors).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._network_plan import network_plan


class FilterModule(object):
    def filters(self):
        return {'network_plan': network_plan}
