# -*- coding: utf-8 -*-
# Copyright (c) gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""Pure security-group rule logic for the ``secgroup_check`` module.

Nothing here talks to a cloud or imports openstacksdk: rules come in as plain dicts shaped
like Neutron's (``direction``, ``ethertype``, ``protocol``, ``port_range_min``,
``port_range_max``, ``remote_ip_prefix``, ``remote_group_id``) and findings go out as plain
dicts, so every decision can be unit-tested.

Semantics (Neutron's):
  - ``protocol`` None / ``any`` / ``0`` matches every protocol (and then every port);
  - for tcp/udp, ``port_range_min``/``port_range_max`` None means every port (1-65535);
  - for icmp, the two fields are ICMP type and code, None meaning every type/code;
  - a missing remote (no ``remote_ip_prefix`` and no remote group) means the whole address
    family, ``0.0.0.0/0`` for IPv4 and ``::/0`` for IPv6;
  - a bare address is a host prefix (``10.0.0.5`` == ``10.0.0.5/32``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

SEVERITIES = ('low', 'medium', 'high', 'critical')
SEVERITY_RANK = dict((name, rank) for rank, name in enumerate(SEVERITIES))
DEFAULT_SENSITIVE_PORTS = (5432, 22, 8080)

_PROTOCOL_ALIASES = {
    'any': None, '0': None, '': None,
    '1': 'icmp', 'icmp': 'icmp',
    '6': 'tcp', 'tcp': 'tcp',
    '17': 'udp', 'udp': 'udp',
    '58': 'ipv6-icmp', 'icmpv6': 'ipv6-icmp', 'ipv6-icmp': 'ipv6-icmp',
}
_PORTED = ('tcp', 'udp')
_ICMP = ('icmp', 'ipv6-icmp')
_ETHERTYPES = {'ipv4': 'IPv4', '4': 'IPv4', 'ipv6': 'IPv6', '6': 'IPv6'}


class RuleError(ValueError):
    """A declared rule that cannot be understood (bad CIDR, port, protocol...)."""


def normalize_protocol(protocol):
    """Return the canonical protocol name, or None for "any protocol"."""
    if protocol is None:
        return None
    text = str(protocol).strip().lower()
    if text in _PROTOCOL_ALIASES:
        return _PROTOCOL_ALIASES[text]
    if text.isdigit() and not 0 <= int(text) <= 255:
        raise RuleError('protocol number %s is outside 0-255' % text)
    return text


def normalize_cidr(value):
    """Parse an address or prefix into an ``ip_network`` (host bits dropped).

    ``10.0.0.5`` becomes ``10.0.0.5/32``, ``fd00::1`` becomes ``fd00::1/128``.
    """
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError as exc:
        raise RuleError('invalid remote_ip_prefix %r: %s' % (value, exc))


def world(ethertype):
    """The network that means "anyone" for an address family."""
    return ipaddress.ip_network(u'::/0' if ethertype == 'IPv6' else u'0.0.0.0/0')


def cidr_contains(outer, inner):
    """True when every address of ``inner`` is in ``outer`` (same family only)."""
    outer = outer if isinstance(outer, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else normalize_cidr(outer)
    inner = inner if isinstance(inner, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else normalize_cidr(inner)
    if outer.version != inner.version:
        return False
    return (inner.network_address >= outer.network_address
            and inner.broadcast_address <= outer.broadcast_address)


def _int_or_none(value, field):
    if value is None or value == '':
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RuleError('%s must be an integer, got %r' % (field, value))


def normalize_ports(protocol, port_min, port_max):
    """Return ``(min, max)`` with None meaning "all"; -1 and 1-65535 also mean all for tcp/udp."""
    port_min = _int_or_none(port_min, 'port_range_min')
    port_max = _int_or_none(port_max, 'port_range_max')
    if protocol is None:
        return (None, None)
    if protocol in _ICMP:
        return (None if port_min in (None, -1) else port_min,
                None if port_max in (None, -1) else port_max)
    if port_min == -1:
        port_min = None
    if port_max == -1:
        port_max = None
    if port_min is None and port_max is None:
        return (None, None)
    low = 1 if port_min is None else port_min
    high = 65535 if port_max is None else port_max
    if low > high:
        raise RuleError('port_range_min %s is greater than port_range_max %s' % (low, high))
    if protocol in _PORTED and low <= 1 and high >= 65535:
        return (None, None)
    return (low, high)


def normalize_rule(rule, declared=False):
    """Turn a Neutron rule or a declared rule dict into the canonical dict used for comparisons.

    Declared rules may use ``port`` (a single port), ``remote_group`` (name or ID, the caller
    resolves it to ``remote_group_id`` first) and ``ethertype``/``ether_type``; when the
    ethertype is not given it follows the CIDR family (IPv4 without a CIDR).
    """
    protocol = normalize_protocol(rule.get('protocol'))
    port = rule.get('port')
    if port is not None:
        if rule.get('port_range_min') is not None or rule.get('port_range_max') is not None:
            raise RuleError('use either port or port_range_min/port_range_max, not both')
        port_min = port_max = port
    else:
        port_min, port_max = rule.get('port_range_min'), rule.get('port_range_max')
    if protocol is None and declared and (port_min is not None or port_max is not None):
        raise RuleError('a rule with protocol any cannot restrict ports; set protocol tcp or udp')
    ports = normalize_ports(protocol, port_min, port_max)

    direction = (rule.get('direction') or 'ingress').lower()
    if direction not in ('ingress', 'egress'):
        raise RuleError('direction must be ingress or egress, got %r' % rule.get('direction'))

    prefix = rule.get('remote_ip_prefix')
    remote_group = rule.get('remote_group_id') or rule.get('remote_group')
    if prefix not in (None, '') and remote_group:
        raise RuleError('remote_ip_prefix and remote_group are mutually exclusive')
    raw_ethertype = rule.get('ethertype') or rule.get('ether_type')
    ethertype = None
    if raw_ethertype:
        ethertype = _ETHERTYPES.get(str(raw_ethertype).lower())
        if ethertype is None:
            raise RuleError('ethertype must be IPv4 or IPv6, got %r' % raw_ethertype)
    network = None
    if prefix not in (None, ''):
        network = normalize_cidr(prefix)
        family = 'IPv6' if network.version == 6 else 'IPv4'
        if ethertype and ethertype != family:
            raise RuleError('ethertype %s does not match remote_ip_prefix %s' % (ethertype, prefix))
        ethertype = family
    ethertype = ethertype or 'IPv4'
    if network is None and not remote_group:
        network = world(ethertype)

    return {
        'id': rule.get('id'),
        'direction': direction,
        'ethertype': ethertype,
        'protocol': protocol,
        'port_min': ports[0],
        'port_max': ports[1],
        'remote_cidr': network,
        'remote_group': remote_group or None,
        # what Neutron stores, so a fix can name the rule exactly
        'raw_remote_ip_prefix': None if prefix in (None, '') else str(prefix),
        'raw_protocol': rule.get('protocol'),
        'raw_port_range_min': _int_or_none(port_min, 'port_range_min'),
        'raw_port_range_max': _int_or_none(port_max, 'port_range_max'),
    }


def _range_contains(outer_min, outer_max, inner_min, inner_max):
    if outer_min is None and outer_max is None:
        return True
    if inner_min is None and inner_max is None:
        return False
    return outer_min <= inner_min and inner_max <= outer_max


def ports_contain(protocol, outer, inner):
    """Port containment for one protocol; ``outer``/``inner`` are normalised (min, max)."""
    if protocol is None:
        return True
    if protocol in _ICMP:
        # type and code are matched independently, None is a wildcard
        return all(o is None or o == i for o, i in zip(outer, inner))
    return _range_contains(outer[0], outer[1], inner[0], inner[1])


def remote_contains(outer, inner):
    """Does the remote of normalised rule ``outer`` admit every source ``inner`` admits?"""
    if outer['remote_group'] is not None:
        return inner['remote_group'] is not None and inner['remote_group'] == outer['remote_group']
    if inner['remote_group'] is not None:
        # members of a group can have any address of the family: only "anyone" covers them
        return outer['remote_cidr'].prefixlen == 0
    return cidr_contains(outer['remote_cidr'], inner['remote_cidr'])


def rule_contains(outer, inner):
    """True when normalised rule ``outer`` allows everything normalised rule ``inner`` allows."""
    if outer['direction'] != inner['direction'] or outer['ethertype'] != inner['ethertype']:
        return False
    if outer['protocol'] is not None and outer['protocol'] != inner['protocol']:
        return False
    if not ports_contain(outer['protocol'] and inner['protocol'],
                         (outer['port_min'], outer['port_max']),
                         (inner['port_min'], inner['port_max'])):
        return False
    return remote_contains(outer, inner)


def is_world(rule):
    return rule['remote_group'] is None and rule['remote_cidr'].prefixlen == 0


def exposed_ports(rule, sensitive_ports):
    """Sensitive ports an ingress rule opens to 0.0.0.0/0 or ::/0 (sorted, may be empty)."""
    if rule['direction'] != 'ingress' or not is_world(rule):
        return []
    if rule['protocol'] not in (None,) + _PORTED:
        return []
    return sorted(set(p for p in sensitive_ports
                      if ports_contain(rule['protocol'], (rule['port_min'], rule['port_max']), (p, p))))


def describe(rule):
    """One-line human form of a normalised rule, e.g. ``ingress tcp/5432 from 0.0.0.0/0``."""
    proto = rule['protocol'] or 'any'
    if rule['protocol'] in _ICMP:
        what = '%s type %s code %s' % (proto, _star(rule['port_min']), _star(rule['port_max']))
    elif rule['protocol'] is None:
        what = 'any protocol'
    elif rule['port_min'] is None:
        what = '%s/all ports' % proto
    elif rule['port_min'] == rule['port_max']:
        what = '%s/%s' % (proto, rule['port_min'])
    else:
        what = '%s/%s-%s' % (proto, rule['port_min'], rule['port_max'])
    if rule['remote_group'] is not None:
        source = 'group %s' % rule['remote_group']
    else:
        source = str(rule['remote_cidr'])
    return '%s %s %s %s (%s)' % (rule['direction'], what,
                                 'from' if rule['direction'] == 'ingress' else 'to',
                                 source, rule['ethertype'])


def _star(value):
    return '*' if value is None else value


def public_rule(rule):
    """The normalised rule as returned to the user (JSON-safe)."""
    return {
        'id': rule['id'],
        'direction': rule['direction'],
        'ethertype': rule['ethertype'],
        'protocol': rule['protocol'] or 'any',
        'port_range_min': rule['port_min'],
        'port_range_max': rule['port_max'],
        'remote_ip_prefix': None if rule['remote_group'] is not None else str(rule['remote_cidr']),
        'remote_group': rule['remote_group'],
    }


def rule_task(group, rule, state, remote_group_name=None, exact=False):
    """An ``openstack.cloud.security_group_rule`` task dict that adds or removes ``rule``.

    With ``exact`` the values Neutron stored are used (so the module's exact match finds the
    rule to delete); otherwise the normalised values are.
    """
    args = {'security_group': group, 'direction': rule['direction'],
            'ether_type': rule['ethertype'], 'state': state}
    if exact:
        protocol = rule['raw_protocol']
        pmin, pmax = rule['raw_port_range_min'], rule['raw_port_range_max']
        prefix = rule['raw_remote_ip_prefix']
    else:
        protocol = rule['protocol']
        pmin, pmax = rule['port_min'], rule['port_max']
        prefix = None if rule['remote_group'] is not None else str(rule['remote_cidr'])
    args['protocol'] = 'any' if protocol in (None, '') else str(protocol)
    if pmin is not None:
        args['port_range_min'] = pmin
    if pmax is not None:
        args['port_range_max'] = pmax
    if rule['remote_group'] is not None:
        args['remote_group'] = remote_group_name or rule['remote_group']
    elif prefix is not None:
        args['remote_ip_prefix'] = prefix
    return {'openstack.cloud.security_group_rule': args}


def _finding(severity, kind, group, rule, detail, fix):
    return {'severity': severity, 'kind': kind, 'group': group,
            'rule': public_rule(rule) if rule is not None else None,
            'detail': detail, 'fix': fix}


def audit_group(group, actual_rules, declared_rules, sensitive_ports=DEFAULT_SENSITIVE_PORTS,
                group_names=None):
    """Audit one security group.

    Args:
        group: the group's name (used in findings and fixes).
        actual_rules: the rules Neutron has for the group (dicts, raw).
        declared_rules: the rules the group should have (dicts, raw declared form); None
            means "nothing declared for this group": only exposures are reported then.
        sensitive_ports: ports that must never be open to the world.
        group_names: optional {group id: name} to show remote groups by name.

    Returns:
        a list of findings (dicts: severity, kind, group, rule, detail, fix).
    """
    group_names = group_names or {}
    actual = [normalize_rule(r) for r in actual_rules]
    declared = None if declared_rules is None else [normalize_rule(r, declared=True) for r in declared_rules]
    findings = []

    for want in declared or []:
        if any(rule_contains(have, want) for have in actual):
            continue
        findings.append(_finding(
            'high', 'missing_rule', group, want,
            'required rule %s is missing from security group %s' % (describe(want), group),
            rule_task(group, want, 'present', group_names.get(want['remote_group']))))

    declared_directions = set(w['direction'] for w in declared or [])
    for have in actual:
        remove = rule_task(group, have, 'absent', group_names.get(have['remote_group']), exact=True)
        exposed = exposed_ports(have, sensitive_ports)
        if exposed:
            findings.append(_finding(
                'critical', 'sensitive_port_exposed', group, have,
                'rule %s (id %s) exposes sensitive port(s) %s to the world'
                % (describe(have), have['id'], ', '.join(str(p) for p in exposed)),
                remove))
            continue
        if declared is None or have['direction'] not in declared_directions:
            continue
        if any(rule_contains(want, have) for want in declared):
            continue
        risky = is_world(have) or exposed_ports(dict(have, remote_group=None, remote_cidr=world(have['ethertype'])),
                                                sensitive_ports)
        findings.append(_finding(
            'high' if risky else 'medium', 'wider_than_declared', group, have,
            'rule %s (id %s) allows more ports, protocols or sources than any declared rule of %s'
            % (describe(have), have['id'], group),
            remove))
    return findings


def audit_server(server, attached, expected, fix_base=None):
    """Check a server is attached to every expected security group.

    Args:
        server: the server's name.
        attached: list of {id, name} of the groups on the server's ports.
        expected: list of {id, name} of the groups it must be in (id None if the group
            does not exist; such groups are reported by the caller).
        fix_base: extra ``openstack.cloud.server`` arguments for the fix (image, flavor).

    Returns:
        a list of findings.
    """
    have_ids = set(g.get('id') for g in attached if g.get('id'))
    have_names = set(g.get('name') for g in attached if g.get('name'))

    def attached_to(group):
        if group.get('id') and have_ids:
            return group['id'] in have_ids
        return group.get('name') in have_names

    missing = [g for g in expected if not attached_to(g)]
    findings = []
    wanted = sorted(set(g['name'] for g in attached if g.get('name')) | set(g['name'] for g in expected))
    for group in missing:
        args = dict(fix_base or {})
        args.update({'name': server, 'security_groups': wanted})
        findings.append({
            'severity': 'high', 'kind': 'server_missing_group', 'group': group['name'],
            'rule': None,
            'detail': 'server %s is not attached to security group %s (attached: %s); '
                      'openstack server add security group %s %s'
                      % (server, group['name'], ', '.join(sorted(have_names)) or 'none', server, group['name']),
            'fix': {'openstack.cloud.server': args},
        })
    return findings


def at_or_above(findings, threshold):
    """Findings whose severity reaches ``threshold`` (``none`` selects nothing)."""
    if threshold == 'none':
        return []
    rank = SEVERITY_RANK[threshold]
    return [f for f in findings if SEVERITY_RANK[f['severity']] >= rank]


def sort_findings(findings):
    """Most severe first, then by group and kind, stable otherwise."""
    return sorted(findings, key=lambda f: (-SEVERITY_RANK[f['severity']], f['group'] or '', f['kind']))


def summarize(findings):
    """A one-line-per-finding text naming each finding and its fix."""
    lines = []
    for f in findings:
        fix = f['fix']
        lines.append('[%s] %s %s: %s; fix: %s' % (f['severity'], f['kind'], f['group'], f['detail'],
                                                  _fix_text(fix)))
    return '\n'.join(lines)


def _fix_text(fix):
    if not fix:
        return 'none'
    module, args = list(fix.items())[0]
    return '%s %s' % (module, ' '.join('%s=%s' % (k, args[k]) for k in sorted(args)))


# -- secgroup_check's result, from the cloud (the module) or from one listing (the secgroup_audit filter) ---------

def declared_rules(required_rules, remote_group_id):
    """required_rules (the module's option, None values dropped) ready for audit_group: direction and protocol
    defaulted as the module's options do, a remote group's name turned into its ID by ``remote_group_id(name)``
    (None: kept as named). A bad rule raises RuleError naming required_rules[index]."""
    declared = []
    for index, rule in enumerate(required_rules or []):
        rule = dict((k, v) for k, v in rule.items() if v is not None and k != 'description')
        rule.setdefault('direction', 'ingress')
        rule.setdefault('protocol', 'tcp')
        if rule.get('remote_group'):
            rule['remote_group_id'] = remote_group_id(rule['remote_group']) or rule['remote_group']
            rule.pop('remote_group')
        try:
            normalize_rule(rule, declared=True)
        except RuleError as exc:
            raise RuleError('required_rules[%d]: %s' % (index, exc))
        declared.append(rule)
    return declared


def rules_for(declared, name, group_id, default):
    """The declared rules of one group (by name or ID); with default, also those naming no group. None: none."""
    rules = [r for r in declared
             if r.get('security_group') in (name, group_id) or (default and not r.get('security_group'))]
    return rules or None


def check_entry(name, elapsed_ms, found, detail, threshold):
    """One entry of the result's checks: ok unless a finding reaches the threshold (any finding with 'none')."""
    failing = at_or_above(found, threshold) if threshold != 'none' else found
    return dict(name=name, ok=not failing, elapsed_ms=elapsed_ms,
                detail='%s, %d finding(s)%s' % (detail, len(found), ': ' + '; '.join(sorted(set(
                    f['kind'] for f in found))) if found else ''))


def audit_result(findings, checks, threshold, elapsed_ms):
    """(result, msg): secgroup_check's result, and its failure message (None when nothing reaches the threshold)."""
    findings = sort_findings(findings)
    failing = at_or_above(findings, threshold)
    result = dict(changed=False, ok=not findings if threshold == 'none' else not failing, findings=findings,
                  checks=checks, elapsed_ms=elapsed_ms)
    msg = None
    if failing:
        msg = 'secgroup_check: %d finding(s) at or above %s:\n%s' % (len(failing), threshold, summarize(failing))
    return result, msg


def audit_listing(groups, names, required_rules, sensitive_ports, threshold):
    """secgroup_check's (result, msg) for security_groups=names, from the groups one listing returned (dicts with
    their security_group_rules, as network_state returns them); None when a name is not exactly one group of the
    listing, which the module then settles against the cloud."""
    start = time.monotonic()
    by_name = {}
    for group in groups:
        by_name.setdefault(group.get('name'), []).append(group)
    if any(len(by_name.get(name, [])) != 1 for name in names):
        return None
    declared = declared_rules(required_rules, lambda name: by_name[name][0]['id']
                              if len(by_name.get(name, [])) == 1 else None)
    id_names = dict((group['id'], group.get('name')) for group in groups)
    findings, checks, audited = [], [], set()
    for name in names:
        group = by_name[name][0]
        if group['id'] in audited:
            continue
        audited.add(group['id'])
        since = time.monotonic()
        rules = [dict(rule) for rule in group.get('security_group_rules') or []]
        wanted = rules_for(declared, group['name'], group['id'], default=True)
        found = audit_group(group['name'], rules, wanted, sensitive_ports, id_names)
        findings.extend(found)
        checks.append(check_entry('security_group:%s' % group['name'], elapsed_ms(since), found,
                                  '%d rules, %d declared' % (len(rules), len(wanted or [])), threshold))
    return audit_result(findings, checks, threshold, elapsed_ms(start))


def elapsed_ms(since):
    """Whole milliseconds since a time.monotonic() reading."""
    return int(round((time.monotonic() - since) * 1000))
