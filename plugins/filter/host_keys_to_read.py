# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: host_keys_to_read
short_description: The servers whose SSH host keys must be read from their console logs again
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Of the servers gpt371.infra.deployment_hosts returns in C(host_keys), those the known_hosts file does not pin
    as they are now. A server is pinned as it is when every one of its addresses has only lines that
    gpt371.infra.server_host_keys wrote for the same server ID and the same C(launched_at).
  - Nova sets C(launched_at) when it builds a server's disk (create, rebuild, evacuate, resize, unshelve), which is
    when its host keys can change; stopping and starting keep it. A server without it is always read.
  - The file's keys still pin every connection (C(StrictHostKeyChecking=yes)); this only spares reading consoles
    whose keys are already pinned.
options:
  _input:
    description: C(host_keys) of gpt371.infra.deployment_hosts (C(name), C(id), C(addresses), C(launched_at)).
    type: list
    elements: dict
    required: true
  known_hosts:
    description: The text of the known_hosts file (empty when it does not exist yet).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Pin the host keys of the servers that were built since they were pinned
  vars:
    to_read: >-
      {{ found.host_keys | gpt371.infra.host_keys_to_read(lookup('ansible.builtin.file', known_hosts_file,
                                                                  errors='ignore') | default('', true)) }}
  when: to_read | length > 0
  gpt371.infra.server_host_keys:
    servers: "{{ to_read }}"
    known_hosts_file: "{{ known_hosts_file }}"
'''

RETURN = r'''
_value:
  description: The servers whose console logs must be read, in the order given.
  type: list
  elements: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._ssh_access import keys_to_read


def host_keys_to_read(servers, known_hosts):
    return keys_to_read(known_hosts or '', list(servers or []))


class FilterModule(object):
    def filters(self):
        return {'host_keys_to_read': host_keys_to_read}
