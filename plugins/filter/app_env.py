# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the app_env role: the .env values, the checks before any write, the text, the masked diff."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: app_env_values
short_description: The decisions of the app_env role, as filters
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - C(app_env_values) - the .env values in order from the guide's keys (variable values), O(extra), the
    inventory (C(app_env_inventory)'s answer, from the cloud) and the provisioning O(outputs) export (a non-empty
    variable wins, then the inventory, then the export).
  - C(app_env_inventory) - key to private address of the first host of the group C(app_env_inventory_keys) names
    (C(gpt371_private_v4), else C(ansible_host)); its arguments are C(groups) and C(hostvars).
  - C(app_env_errors) - one message per problem (missing required value, line break, value no quoting carries
    alike), naming keys and variables, never values; an empty list when the values can be written.
  - C(app_env_render) - the .env text, each value in the first quoting form that docker compose and python-dotenv
    read alike.
  - C(app_env_plan) - the three above in one step for one host, as a dict of C(values), C(errors) (first a
    missing or unreadable C(outputs_file)) and C(content), the text to write (empty unless C(errors) is empty).
  - C(app_env_mask) - the text with secret values replaced by C(<secret>) (or C(<secret, changed>) against O(old)).
  - C(app_env_drift) - the keys added, changed and removed between a wanted and a live .env text (names only).
options:
  _input:
    description: The given values (app_env_values), the values (app_env_errors, app_env_render) or a .env text.
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Compose and check the values
  ansible.builtin.set_fact:
    app_env__values: "{{ app_env__given | gpt371.infra.app_env_values(app_env_extra, outputs, app_env_output_keys) }}"
  no_log: true
'''

RETURN = r'''
_value:
  description: A dict of values, a list of messages, a text, or a dict of key lists (see the description).
  type: raw
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.gpt371.infra.plugins.module_utils import _app_env


def app_env_values(given, extra=None, outputs=None, output_keys=None, inventory=None):
    if not isinstance(given, dict) or not isinstance(extra or {}, dict):
        raise AnsibleFilterError('app_env_values: the given values and app_env_extra must be dicts')
    return _app_env.compose_values(given, extra, outputs, output_keys, inventory)


def app_env_inventory(inventory_keys, groups, hostvars):
    return _app_env.inventory_values(inventory_keys, groups, hostvars)


def app_env_plan(given, extra=None, outputs_file=None, output_keys=None, inventory=None, required=None,
                 key_vars=None):
    if not isinstance(given, dict) or not isinstance(extra or {}, dict):
        raise AnsibleFilterError('app_env_plan: the given values and app_env_extra must be dicts')
    return _app_env.plan(given, extra, outputs_file, output_keys, inventory, required or [], key_vars or {})


def app_env_errors(values, required, key_vars, output_keys=None):
    return _app_env.errors(values, required, key_vars, output_keys)


def app_env_render(values, header=_app_env.HEADER):
    return _app_env.render(values, header)


def app_env_mask(text, secret_keys, old=None):
    return _app_env.mask(text, secret_keys, old)


def app_env_drift(wanted, have, secret_keys=None):
    return _app_env.drift(wanted, have, secret_keys or [])


class FilterModule(object):
    def filters(self):
        return {'app_env_values': app_env_values, 'app_env_errors': app_env_errors, 'app_env_render': app_env_render,
                'app_env_mask': app_env_mask, 'app_env_drift': app_env_drift, 'app_env_inventory': app_env_inventory,
                'app_env_plan': app_env_plan}
