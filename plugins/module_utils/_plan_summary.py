# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""What a changed task in a --check run would do: add, change or destroy (the plan callback's arithmetic)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ADD, CHANGE, DESTROY = 'add', 'change', 'destroy'
# Keys under which openstack.cloud and community.docker modules return the resource they found (None: not found).
# The *_info lists (networks, subnets, routers) count too: the network role's check-mode lookups return [] for what
# it would create.
RESOURCE_KEYS = ('server', 'network', 'subnet', 'router', 'security_group', 'rule', 'security_group_rule',
                 'keypair', 'floating_ip', 'volume', 'image', 'port', 'networks', 'subnets', 'routers')


def classify(args, result):
    """ADD, CHANGE or DESTROY for one changed result, from the task's arguments and what the module returned."""
    state = (args or {}).get('state')
    if state in ('absent', 'deleted'):
        return DESTROY
    diff = result.get('diff')
    diffs = diff if isinstance(diff, list) else [diff] if isinstance(diff, dict) else []
    for item in diffs:
        before = item.get('before')
        if before in (None, '', {}) or (isinstance(before, dict) and before.get('state') == 'absent'):
            return ADD
        if isinstance(item.get('after'), dict) and item['after'].get('state') == 'absent':
            return DESTROY
    if diffs:
        return CHANGE
    for key in RESOURCE_KEYS:
        if key in result:
            return ADD if not result[key] else CHANGE
    return CHANGE


def summary(counts):
    return 'Plan: %d to add, %d to change, %d to destroy.' % (
        counts.get(ADD, 0), counts.get(CHANGE, 0), counts.get(DESTROY, 0))
