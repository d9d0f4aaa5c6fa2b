# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the storage role: the bucket layout, the input checks and the audit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: storage_layout
short_description: The bucket layout decisions of the storage role, as filters
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - C(storage_layout) - each area's bucket, the buckets to create, the area prefixes and the backups bucket and
    prefix, for a shared bucket (one prefix per area) or one bucket per area.
  - C(storage_errors) - messages naming the variable and the fix for a missing endpoint or credential, a backups
    area outside the areas, an unknown lifecycle mode or an invalid bucket name.
  - C(storage_drift) - what differs in the store (buckets, prefixes, the backups lifecycle rule) from the layout.
options:
  _input:
    description: The areas (storage_layout) or the layout (storage_errors, storage_drift).
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Layout
  ansible.builtin.debug:
    msg: "{{ ['models', 'backups'] | gpt371.infra.storage_layout('371gpt-assets') }}"
'''

RETURN = r'''
_value:
  description: The layout (dict with area_map, buckets, prefixes, backups_bucket, backups_prefix) or a list of messages.
  type: raw
'''

from ansible_collections.gpt371.infra.plugins.module_utils import _storage_layout


def storage_layout(areas, bucket, separate=False, area_buckets=None, backups_area='backups'):
    return _storage_layout.layout(areas, bucket, separate, area_buckets, backups_area)


def storage_errors(layout, endpoint_url, access_key, secret_key, backups_area, expiration_days, lifecycle):
    return _storage_layout.errors(layout, endpoint_url, access_key, secret_key, backups_area, expiration_days,
                                  lifecycle)


def storage_drift(layout, bucket_names, prefix_keys, lifecycle_rules, expiration_days, rule_id, lifecycle):
    return _storage_layout.drift(layout, bucket_names, prefix_keys, lifecycle_rules, expiration_days, rule_id,
                                 lifecycle)


class FilterModule(object):
    def filters(self):
        return {'storage_layout': storage_layout, 'storage_errors': storage_errors, 'storage_drift': storage_drift}
