# -*- coding: utf-8 -*-
# Copyright (c) gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""Which declared security groups ``openstack.cloud.security_group`` would change, from one listing.

The network role applies each group twice (created bare, then its rules exactly as declared), one module call per
group and pass. On a no-op run every call finds nothing to do. ``secgroup_state`` reads the groups as one
``security_group_info`` listing returns them and names those the module would change, so the role calls the module
for those only. The comparison follows the module's own (openstack.cloud 2.x ``_build_update``): a group's
description, and each declared rule turned into the module's prototype and matched against the group's rules, the
rules no prototype matched being the ones it would delete. Where the module would look further (a remote group
not in the listing, two rules matching one prototype), the group is applied: a doubt costs a call, never a drift.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_FULL_RANGE = {'port_range_max': (-1, 65535), 'port_range_min': (-1, 1)}


def group_description(group, tags):
    """The description the role gives a declared group: its own (or its name), then the deployment's tags."""
    return '%s (%s)' % (group.get('description') or group['name'], ' '.join(tags or []))


def _port(value):
    return None if value is None else int(value)


def rule_prototype(rule, group, ids):
    """The module's prototype of a declared rule in the found ``group``; None when its remote group is unknown."""
    proto = dict((k, rule.get(k)) for k in ('description', 'remote_ip_prefix') if rule.get(k) is not None)
    proto['direction'] = rule.get('direction') or 'ingress'
    proto['project_id'] = group.get('project_id')
    proto['security_group_id'] = group.get('id')
    remote = rule.get('remote_group')
    if remote is not None:
        if remote not in ids:
            return None
        proto['remote_group_id'] = ids[remote]
    proto['ether_type'] = rule.get('ether_type') or 'IPv4'
    protocol = None if rule.get('protocol') is None else str(rule['protocol'])
    if protocol is not None and protocol not in ('any', '0'):
        proto['protocol'] = protocol
    if protocol in ('any', '0'):
        return proto  # any protocol: no ports
    for key in ('port_range_max', 'port_range_min'):
        value = _port(rule.get(key))
        if value is not None and not (protocol in ('icmp', 'ipv6-icmp', 'tcp', 'udp') and value == -1):
            proto[key] = value
    return proto


def rule_matches(proto, found):
    """The module's is_security_group_rule_match."""
    skip = {'ether_type'}
    if found.get('ethertype') != proto['ether_type']:
        return False
    if proto.get('protocol') in ('tcp', 'udp'):
        for key, full in _FULL_RANGE.items():
            if key in proto and proto[key] in full:
                if found.get(key) is not None:
                    return False
                skip.add(key)
    return all(found.get(key) == value for key, value in proto.items() if key not in skip)


def group_difference(wanted, found, ids, common_rules, tags):
    """Why the module would change ``found`` into ``wanted`` (a sentence), or None when it would not."""
    if found.get('description') != group_description(wanted, tags):
        return 'description differs'
    rules = list(found.get('security_group_rules') or [])
    kept = set()
    for rule in list(wanted.get('rules') or []) + list(common_rules or []):
        proto = rule_prototype(rule, found, ids)
        if proto is None:
            return 'remote group %s not found' % rule.get('remote_group')
        matches = [r for r in rules if rule_matches(proto, r)]
        if len(matches) != 1:
            return 'a declared rule is missing' if not matches else 'a declared rule matches %d rules' % len(matches)
        kept.add(matches[0].get('id'))
    extra = [r for r in rules if r.get('id') not in kept]
    if extra:
        return '%d rule(s) not declared' % len(extra)
    return None


def secgroup_state(found_groups, wanted_groups, common_rules=None, tags=None):
    """{'to_apply': [names], 'reasons': {name: why}, 'descriptions': {name: description}}.

    ``found_groups``: ``security_group_info``'s ``security_groups``; ``wanted_groups``: the network plan's groups.
    """
    by_name = {}
    for group in found_groups or []:
        by_name.setdefault(group.get('name'), []).append(group)
    ids = {}
    for name, groups in by_name.items():
        if len(groups) == 1:
            ids[name] = groups[0].get('id')
    for group in found_groups or []:
        ids[group.get('id')] = group.get('id')
    to_apply, reasons = [], {}
    for wanted in wanted_groups or []:
        name = wanted['name']
        found = by_name.get(name, [])
        if len(found) != 1:
            why = 'missing' if not found else '%d groups of this name' % len(found)
        else:
            why = group_difference(wanted, found[0], ids, common_rules, tags)
        if why:
            to_apply.append(name)
            reasons[name] = why
    descriptions = dict((g['name'], group_description(g, tags)) for g in wanted_groups or [])
    return {'to_apply': to_apply, 'reasons': reasons, 'descriptions': descriptions}
