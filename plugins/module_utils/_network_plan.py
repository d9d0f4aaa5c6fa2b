# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""The network role's decisions: the declared security groups merged and checked, the rules the audit expects,
and whether the subnet's CIDR collides with another deployment's (or the external network's) subnet.

Nothing here talks to a cloud: subnets come in as ``openstack.cloud.subnets_info`` dicts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.gpt371.infra.plugins.module_utils._deployment import deployment_name_errors
from ansible_collections.gpt371.infra.plugins.module_utils._mark import MARK_TAG

SEVERITIES = ('critical', 'high', 'medium', 'low', 'none')
WORLD = (ipaddress.ip_network('0.0.0.0/0'), ipaddress.ip_network('::/0'))
# Where a free subnet is looked for when the wanted one overlaps (private ranges, same prefix length).
SEARCH_IN = ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')
SEARCH_LIMIT = 4096


def _network(text, strict):
    try:
        return ipaddress.ip_network(str(text).strip(), strict=strict)
    except ValueError:
        return None


def merge_groups(groups, extra):
    """The declared groups, a group of ``extra`` replacing the one of the same name."""
    extra = list(extra or [])
    names = set(g.get('name') for g in extra if isinstance(g, dict))
    return [g for g in groups or [] if g.get('name') not in names] + extra


def _rule_ports(rule):
    protocol = str(rule.get('protocol') or 'any').lower()
    if protocol in ('any', '0', 'none'):
        return None
    if protocol not in ('tcp', 'udp', '6', '17'):
        return ()
    low, high = rule.get('port_range_min'), rule.get('port_range_max')
    if low is None and high is None:
        return None
    low = int(low if low is not None else high)
    high = int(high if high is not None else low)
    return (low, high)


def _exposed(rule, sensitive_ports):
    """Sensitive ports this declared ingress rule opens to the whole internet."""
    if str(rule.get('direction') or 'ingress') != 'ingress' or rule.get('remote_group'):
        return []
    prefix = rule.get('remote_ip_prefix')
    if prefix is not None and _network(prefix, False) not in WORLD:
        return []
    ports = _rule_ports(rule)
    if ports == ():
        return []
    return [p for p in sensitive_ports if ports is None or ports[0] <= int(p) <= ports[1]]


def network_plan(groups, extra=None, common_rules=None, deployment='', subnet_cidr='', admin_cidr='',
                 sensitive_ports=None, fail_on_severity='high'):
    """{'groups', 'required_rules', 'by_purpose', 'errors'} from the network role's variables."""
    errors = list(deployment_name_errors(deployment, 'network_deployment (infra_deployment)'))
    subnet = _network(subnet_cidr, False)
    if subnet is None:
        errors.append('network_subnet_cidr "%s" is not a CIDR; for example -e network_subnet_cidr=10.10.1.0/24.'
                      % subnet_cidr)
    elif str(subnet) != str(subnet_cidr).strip():
        errors.append('network_subnet_cidr "%s" has host bits set; use %s.' % (subnet_cidr, subnet))
    elif subnet.version == 4 and subnet.prefixlen > 28:
        errors.append('network_subnet_cidr %s holds too few addresses for the servers; use a /28 or wider '
                      '(for example a /24).' % subnet)
    admin = _network(admin_cidr, False)
    if admin is None:
        errors.append('network_admin_cidr "%s" is not a CIDR; set your admin or AWX range, for example '
                      '-e network_admin_cidr=203.0.113.0/24.' % admin_cidr)
    elif admin.prefixlen == 0:
        errors.append('network_admin_cidr %s is the whole internet and SSH is a sensitive port; set your admin '
                      'or AWX range, for example -e network_admin_cidr=203.0.113.0/24.' % admin_cidr)
    if fail_on_severity not in SEVERITIES:
        errors.append('network_check_fail_on_severity must be one of %s (got %s).'
                      % (', '.join(SEVERITIES), fail_on_severity))

    merged = merge_groups(groups, extra)
    names = [g.get('name') for g in merged if isinstance(g, dict)]
    twice = sorted(set(n for n in names if names.count(n) > 1))
    if twice:
        errors.append('security group names must be unique; %s appear(s) more than once '
                      '(network_security_groups, network_security_groups_extra).' % ', '.join(map(str, twice)))
    rules = []
    for index, group in enumerate(merged):
        if not isinstance(group, dict) or not group.get('name') or not isinstance(group.get('rules'), list):
            errors.append('network_security_groups[%d] needs a name and a rules list (got %s).' % (index, group))
            continue
        for rule in group['rules'] + list(common_rules or []):
            remote = rule.get('remote_group')
            if remote is not None and remote not in names:
                errors.append('a rule of security group %s names remote_group %s, which is not declared; known '
                              'groups are %s.' % (group['name'], remote, ', '.join(names)))
            prefix = rule.get('remote_ip_prefix')
            if prefix is not None and _network(prefix, False) is None:
                errors.append('a rule of security group %s has remote_ip_prefix "%s", which is not a CIDR.'
                              % (group['name'], prefix))
            elif rule in group['rules']:
                exposed = _exposed(rule, sensitive_ports or [])
                if exposed:
                    errors.append('a rule of security group %s opens sensitive port(s) %s to the whole internet; '
                                  'narrow its remote_ip_prefix (or drop the port from network_sensitive_ports).'
                                  % (group['name'], ', '.join(str(p) for p in exposed)))
            rules.append(dict(rule, security_group=group['name']))
    by_purpose = dict((g['purpose'], g['name']) for g in merged
                      if isinstance(g, dict) and g.get('purpose') and g.get('name'))
    return {'groups': merged, 'required_rules': rules, 'by_purpose': by_purpose, 'errors': errors}


def _tags(subnet):
    tags = list(subnet.get('tags') or [])
    return tags + str(subnet.get('description') or '').split()


def subnet_overlaps(subnet_cidr, subnets, own_name, own_tags, mark=MARK_TAG, external_network_ids=None):
    """Errors for every subnet that overlaps ``subnet_cidr`` and belongs to another deployment (carries ``mark``
    but not all of ``own_tags``, or has another name) or to the external network; with a free range to use."""
    wanted = _network(subnet_cidr, False)
    if wanted is None:
        return []
    external_network_ids = set(external_network_ids or [])
    own_tags = set(own_tags or [])
    considered = []
    for subnet in subnets or []:
        tags = set(_tags(subnet))
        ours = subnet.get('name') == own_name and own_tags <= tags
        if ours:
            continue
        if mark in tags or subnet.get('network_id') in external_network_ids:
            cidr = _network(subnet.get('cidr'), False)
            if cidr is not None and cidr.version == wanted.version:
                considered.append((subnet, cidr))
    clashes = [(s, c) for s, c in considered if c.overlaps(wanted)]
    if not clashes:
        return []
    taken = [pair[1] for pair in considered]
    free = free_subnet(wanted, taken)
    hint = (', e.g. -e network_subnet_cidr=%s' % free) if free else ''
    return ['network_subnet_cidr %s overlaps subnet %s (%s) of %s; give this deployment its own range%s.'
            % (wanted, s.get('name') or s.get('id'), c, _owner(s, mark, external_network_ids), hint)
            for s, c in clashes]


def _owner(subnet, mark, external_network_ids):
    if subnet.get('network_id') in external_network_ids:
        return 'the external network'
    for tag in _tags(subnet):
        if tag.startswith('deployment='):
            return 'deployment %s' % tag.split('=', 1)[1]
    return 'another %s deployment' % mark


def free_subnet(wanted, taken):
    """The first range of ``wanted``'s size, from ``wanted`` on within the private ranges, that overlaps none of
    ``taken``; None when there is none within the search limit."""
    if wanted.version != 4:
        return None
    for space in SEARCH_IN:
        space = ipaddress.ip_network(space)
        if wanted.prefixlen < space.prefixlen:
            continue
        start = wanted if wanted.subnet_of(space) else None
        step = wanted.num_addresses
        first = int((start or space).network_address)
        last = int(space.broadcast_address)
        address, tried = first, 0
        while address + step - 1 <= last and tried < SEARCH_LIMIT:
            candidate = ipaddress.ip_network('%s/%d' % (ipaddress.ip_address(address), wanted.prefixlen))
            if not any(candidate.overlaps(t) for t in taken):
                return str(candidate)
            address += step
            tried += 1
    return None
