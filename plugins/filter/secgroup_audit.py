# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: secgroup_audit
short_description: The security-group audit of secgroup_check, made from groups already read
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Takes the security groups one listing returned (M(gpt371.infra.network_state)'s C(security_groups), each with
    its C(security_group_rules)) and audits the groups O(names) as M(gpt371.infra.secgroup_check) audits them with
    C(security_groups), on the same rule logic (required rules missing, sensitive ports open to the world, rules
    wider than declared).
  - Returns secgroup_check's result (C(changed), C(ok), C(findings), C(checks), C(elapsed_ms), the time of the
    audit itself) plus C(msg), its failure message when a finding reaches O(fail_on_severity) (empty otherwise);
    or C(none) when a name is not exactly one group of the listing, so the caller runs the module against the
    cloud.
  - A role whose reading is current (nothing applied since) audits without a second cloud call.
options:
  _input:
    description: The groups read (dicts with C(id), C(name), C(security_group_rules)).
    type: list
    elements: dict
    required: true
  names:
    description: The groups to audit (secgroup_check's C(security_groups)).
    type: list
    elements: str
    required: true
  required_rules:
    description: secgroup_check's C(required_rules).
    type: list
    elements: dict
    default: []
  sensitive_ports:
    description: secgroup_check's C(sensitive_ports).
    type: list
    elements: int
    default: [5432, 22, 8080]
  fail_on_severity:
    description: secgroup_check's C(fail_on_severity).
    type: str
    default: high
'''

EXAMPLES = r'''
- name: Audit from the network read
  ansible.builtin.set_fact:
    audit: "{{ network_read.security_groups | gpt371.infra.secgroup_audit(['gpt371-db'], rules, [5432, 22]) }}"
'''

RETURN = r'''
_value:
  description: secgroup_check's result and C(msg), or C(none) when the module must read the cloud.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.gpt371.infra.plugins.module_utils._secgroup_rules import (
    SEVERITY_RANK, RuleError, audit_listing)


def secgroup_audit(groups, names, required_rules=None, sensitive_ports=(5432, 22, 8080), fail_on_severity='high'):
    if fail_on_severity != 'none' and fail_on_severity not in SEVERITY_RANK:
        raise AnsibleFilterError('secgroup_audit: fail_on_severity must be one of critical, high, medium, low, none '
                                 '(got %r)' % (fail_on_severity,))
    try:
        found = audit_listing(groups or [], list(names or []), required_rules or [], list(sensitive_ports),
                              fail_on_severity)
    except RuleError as exc:
        raise AnsibleFilterError('secgroup_audit: %s' % exc)
    if found is None:
        return None
    result, msg = found
    result['msg'] = msg or ''
    return result


class FilterModule(object):
    def filters(self):
        return {'secgroup_audit': secgroup_audit}
