# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: server_summary
short_description: Reduce an openstack.cloud server record to what the integration diagnosis needs
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Keeps C(name), C(status), C(networks) (the names of the networks the server has addresses on), C(role) (the
    C(gpt371_role) metadata) and C(fault) (Nova's fault message, empty when none).
  - M(gpt371.infra.integration_report) applies the same reduction to the raw records it is given.
options:
  _input:
    description: One server as returned by C(openstack.cloud.server_info).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Servers for gpt371.infra.integration_report
  ansible.builtin.set_fact:
    servers: "{{ server_info.servers | map('gpt371.infra.server_summary') | list }}"
'''

RETURN = r'''
_value:
  description: C({name, status, networks, role, fault}).
  type: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._report import server_summary


class FilterModule(object):
    def filters(self):
        return {'server_summary': server_summary}
