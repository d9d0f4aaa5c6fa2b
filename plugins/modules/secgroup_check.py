#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: secgroup_check
short_description: Audit OpenStack security groups and server attachments against declared rules
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads what is really on the cloud and compares it with what was declared. It never changes anything.
  - For each security group named in O(security_groups) it reports required rules that are missing, rules that
    expose a sensitive port (O(sensitive_ports)) to V(0.0.0.0/0) or V(::/0), and rules wider than declared (more
    protocols, ports or sources than any O(required_rules) entry for that group and direction).
  - For each server named in O(servers) it reports the O(expected_groups) the server's ports are not attached to,
    and audits every group attached to it for sensitive-port exposures.
  - CIDRs are normalised (V(10.0.0.5) is V(10.0.0.5/32)); a rule without a remote admits the whole address family;
    protocol V(any) covers every protocol and port; a tcp/udp rule without ports covers every port.
  - Each finding carries a severity and the exact fix (an C(openstack.cloud) task that adds or removes the rule).
    The task fails when a finding reaches O(fail_on_severity).
options:
  expected_groups:
    description:
      - Names or IDs of the security groups every server in O(servers) must be attached to.
      - A group that does not exist is reported as a C(group_missing) finding.
    type: list
    elements: str
  fail_on_severity:
    description:
      - Fail the task when at least one finding has this severity or a higher one.
      - V(none) never fails; RV(ok) is then V(false) as soon as there is any finding.
    type: str
    choices: [critical, high, medium, low, none]
    default: high
  required_rules:
    description:
      - The rules the audited groups must have. They are also the declaration against which existing rules are
        judged wider than declared.
      - Only rules of a direction that has at least one declaration are judged wider (the default egress rules
        are left alone unless egress rules are declared).
    type: list
    elements: dict
    suboptions:
      description:
        description:
          - Ignored; accepted so the rules given to M(openstack.cloud.security_group) can be passed as they are.
        type: str
      direction:
        description: Direction of the traffic the rule admits.
        type: str
        choices: [egress, ingress]
        default: ingress
      ethertype:
        description:
          - Address family. Defaults to the family of O(required_rules[].remote_ip_prefix), else V(IPv4).
        type: str
        choices: [IPv4, IPv6]
        aliases: [ether_type]
      port:
        description: A single port; shorthand for equal O(required_rules[].port_range_min) and O(required_rules[].port_range_max).
        type: int
      port_range_max:
        description: Last port of the range (ICMP code for icmp). Omitted with the minimum means every port.
        type: int
      port_range_min:
        description: First port of the range (ICMP type for icmp). Omitted with the maximum means every port.
        type: int
      protocol:
        description: Protocol; V(any) means every protocol and port.
        type: str
        choices: [any, icmp, ipv6-icmp, tcp, udp]
        default: tcp
      remote_group:
        description: Name or ID of the security group whose members the rule admits. Exclusive with O(required_rules[].remote_ip_prefix).
        type: str
      remote_ip_prefix:
        description:
          - Address or CIDR the rule admits (V(10.0.0.5) means V(10.0.0.5/32)).
          - Omitted together with O(required_rules[].remote_group), it means everyone (V(0.0.0.0/0) or V(::/0)).
        type: str
      security_group:
        description:
          - Name or ID of the group (one of O(security_groups)) this rule belongs to.
          - Omitted, the rule applies to every group in O(security_groups).
        type: str
  security_groups:
    description:
      - Names or IDs of the security groups to audit. A group that does not exist is a C(group_missing) finding.
      - At least one of O(security_groups) and O(servers) is required.
    type: list
    elements: str
  sensitive_ports:
    description:
      - Ports (tcp or udp) that no ingress rule may open to V(0.0.0.0/0) or V(::/0). Such a rule is a C(critical)
        C(sensitive_port_exposed) finding, even when it is declared.
    type: list
    elements: int
    default: [5432, 22, 8080]
  servers:
    description:
      - Names or IDs of servers whose security group attachments are checked against O(expected_groups).
      - Every group attached to these servers is also audited for sensitive-port exposures.
      - A server that does not exist is a C(server_missing) finding.
    type: list
    elements: str
attributes:
  check_mode:
    description: Can run in check mode and return the same result without modifying the target.
    support: full
    details: The module only reads; it runs the same way in check mode.
  diff_mode:
    description: Will return details on what has changed.
    support: none
  idempotent:
    description: Running the module twice gives the same result and changes nothing.
    support: full
notes:
  - The module always returns C(changed=false).
  - Credentials come from C(clouds.yaml) with O(cloud), C(OS_CLOUD) or C(OS_CLIENT_CONFIG_FILE) (as AWX's OpenStack
    credential injects them), or from O(auth). O(auth) and O(client_key) are C(no_log).
  - O(api_timeout) bounds every API call.
  - "Severities: C(critical) a sensitive port open to the world; C(high) a missing rule, a missing group or
    server, a server without its group, a wider rule that opens a sensitive port or admits the world;
    C(medium) any other wider rule."
requirements:
  - python >= 3.8
  - openstacksdk >= 1.0.0
seealso:
  - module: openstack.cloud.security_group_rule
  - module: openstack.cloud.security_group_info
extends_documentation_fragment:
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Database group opens 5432 to the private subnet only
  gpt371.infra.secgroup_check:
    cloud: gpt371
    security_groups: [gpt371-db]
    required_rules:
      - port: 5432
        remote_ip_prefix: 10.10.0.0/24

- name: Every group of the deployment, declared as data, and the servers' attachments
  gpt371.infra.secgroup_check:
    security_groups: [gpt371-db, gpt371-xpipe, gpt371-ssh, gpt371-api]
    required_rules:
      - {security_group: gpt371-db, port: 5432, remote_ip_prefix: 10.10.0.0/24}
      - {security_group: gpt371-xpipe, port: 8080, remote_ip_prefix: 10.10.0.0/24}
      - {security_group: gpt371-ssh, port: 22, remote_ip_prefix: 203.0.113.0/24}
      - {security_group: gpt371-api, port: 443}
      - {security_group: gpt371-api, port: 443, ethertype: IPv6}
    servers: [supabase]
    expected_groups: [gpt371-db, gpt371-ssh]

- name: Report only; the verify role fails once with every finding
  gpt371.infra.secgroup_check:
    security_groups: [gpt371-db]
    required_rules:
      - {port: 5432, remote_ip_prefix: 10.10.0.0/24}
    fail_on_severity: none
'''

RETURN = r'''
ok:
  description:
    - V(true) when no finding reaches O(fail_on_severity) (with V(none), when there is no finding at all).
  returned: always
  type: bool
  sample: false
findings:
  description: What is wrong, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      type: str
      sample: critical
    kind:
      description: >-
        V(sensitive_port_exposed), V(missing_rule), V(wider_than_declared), V(server_missing_group),
        V(group_missing) or V(server_missing).
      type: str
      sample: sensitive_port_exposed
    group:
      description: Name of the security group concerned (the server's name for V(server_missing)).
      type: str
      sample: gpt371-db
    rule:
      description:
        - The rule concerned, normalised (C(protocol) V(any) for every protocol, ports V(null) for every port,
          C(remote_ip_prefix) as a CIDR, C(id) V(null) for a missing rule). V(null) when the finding is not about a rule.
      type: dict
      sample:
        id: 3c0e4a52-3c1b-4d0c-9d55-0c5a8e2b4f11
        direction: ingress
        ethertype: IPv4
        protocol: tcp
        port_range_min: 5432
        port_range_max: 5432
        remote_ip_prefix: 0.0.0.0/0
        remote_group: null
    detail:
      description: The finding in plain words.
      type: str
      sample: rule ingress tcp/5432 from 0.0.0.0/0 (IPv4) (id 3c0e...) exposes sensitive port(s) 5432 to the world
    fix:
      description:
        - "The task that fixes the finding, as C({module FQCN: arguments}), for example an
          C(openstack.cloud.security_group_rule) with C(state=absent) or C(state=present); V(null) when there is none."
      type: dict
      sample:
        openstack.cloud.security_group_rule:
          security_group: gpt371-db
          direction: ingress
          ether_type: IPv4
          protocol: tcp
          port_range_min: 5432
          port_range_max: 5432
          remote_ip_prefix: 0.0.0.0/0
          state: absent
checks:
  description: One entry per audited security group (C(security_group:<name>)) and server (C(server:<name>)).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: What was checked.
      type: str
      sample: security_group:gpt371-db
    ok:
      description: V(true) when no finding about it reaches O(fail_on_severity).
      type: bool
    detail:
      description: Counts of rules and findings.
      type: str
      sample: 3 rules, 1 declared, 0 findings
    elapsed_ms:
      description: Time spent on this check, in milliseconds.
      type: int
elapsed_ms:
  description: Time the whole audit took, in milliseconds.
  returned: always
  type: int
  sample: 412
msg:
  description: On failure, every finding at or above O(fail_on_severity) with its fix.
  returned: failure
  type: str
'''

import time

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule
from ansible_collections.gpt371.infra.plugins.module_utils._secgroup_rules import (
    RuleError, audit_group, audit_result, audit_server, check_entry, declared_rules, elapsed_ms, rules_for)


class SecgroupCheckModule(OpenStackModule):
    argument_spec = dict(
        expected_groups=dict(type='list', elements='str'),
        fail_on_severity=dict(default='high', choices=['critical', 'high', 'medium', 'low', 'none']),
        required_rules=dict(type='list', elements='dict', options=dict(
            description=dict(),
            direction=dict(default='ingress', choices=['egress', 'ingress']),
            ethertype=dict(choices=['IPv4', 'IPv6'], aliases=['ether_type']),
            port=dict(type='int'),
            port_range_max=dict(type='int'),
            port_range_min=dict(type='int'),
            protocol=dict(default='tcp', choices=['any', 'icmp', 'ipv6-icmp', 'tcp', 'udp']),
            remote_group=dict(),
            remote_ip_prefix=dict(),
            security_group=dict(),
        ), mutually_exclusive=[['remote_ip_prefix', 'remote_group'], ['port', 'port_range_min'],
                               ['port', 'port_range_max']]),
        security_groups=dict(type='list', elements='str'),
        sensitive_ports=dict(type='list', elements='int', default=[5432, 22, 8080]),
        servers=dict(type='list', elements='str'),
    )
    module_kwargs = dict(
        required_one_of=[['security_groups', 'servers']],
        required_by=dict(expected_groups='servers'),
        supports_check_mode=True,
    )

    def run(self):
        start = time.monotonic()
        self.findings, self.checks, self.missing = [], [], set()
        self.threshold = self.params['fail_on_severity']
        declared = self._declared_rules()
        self.names = dict((g.id, g.name) for g in self.conn.network.security_groups())
        audited = set()

        for name in self.params['security_groups'] or []:
            group = self._find_group(name)
            if group is not None and group.id not in audited:
                audited.add(group.id)
                self._audit(group, rules_for(declared, group.name, group.id, default=True))

        expected = [self._expected(name) for name in self.params['expected_groups'] or []]
        for name in self.params['servers'] or []:
            self._audit_server(name, expected, declared, audited)

        result, msg = audit_result(self.findings, self.checks, self.threshold, elapsed_ms(start))
        if msg:
            self.fail_json(msg=msg, **result)
        self.exit_json(**result)

    # -- declarations ----------------------------------------------------------
    def _declared_rules(self):
        """Validate required_rules before touching the cloud; resolve remote group names to IDs."""
        def remote_group_id(name):
            remote = self.conn.network.find_security_group(name, ignore_missing=True)
            return remote.id if remote else None
        try:
            return declared_rules(self.params['required_rules'], remote_group_id)
        except RuleError as exc:
            self.fail_json(msg=str(exc))

    # -- lookups ---------------------------------------------------------------
    def _find_group(self, name):
        group = self.conn.network.find_security_group(name, ignore_missing=True)
        if group is None and name not in self.missing:
            self.missing.add(name)
            self._record('security_group:%s' % name, time.monotonic(), [dict(
                severity='high', kind='group_missing', group=name, rule=None,
                detail='security group %s does not exist' % name,
                fix={'openstack.cloud.security_group': {'name': name, 'state': 'present'}})], 'not found')
        return group

    def _expected(self, name):
        group = self.conn.network.find_security_group(name, ignore_missing=True)
        if group is None:
            self._find_group(name)
            return dict(id=None, name=name)
        return dict(id=group.id, name=group.name)

    # -- audits ----------------------------------------------------------------
    def _audit(self, group, declared):
        since = time.monotonic()
        rules = [dict(r) for r in group.security_group_rules or []]
        found = audit_group(group.name, rules, declared, self.params['sensitive_ports'], self.names)
        self._record('security_group:%s' % group.name, since, found, '%d rules, %d declared'
                     % (len(rules), len(declared or [])))

    def _audit_server(self, name, expected, declared, audited):
        since = time.monotonic()
        server = self.conn.compute.find_server(name, ignore_missing=True)
        if server is None:
            self._record('server:%s' % name, since, [dict(
                severity='high', kind='server_missing', group=name, rule=None,
                detail='server %s does not exist' % name, fix=None)], 'not found')
            return
        group_ids = set()
        for port in self.conn.network.ports(device_id=server.id):
            group_ids.update(port.security_group_ids or [])
        attached = [dict(id=gid, name=self.names.get(gid, gid)) for gid in sorted(group_ids)]
        fix_base = {}
        image = getattr(server, 'image', None)
        if image is not None and getattr(image, 'id', None):
            fix_base['image'] = image.id
        flavor = getattr(server, 'flavor', None)
        if flavor is not None and (getattr(flavor, 'name', None) or getattr(flavor, 'original_name', None)):
            fix_base['flavor'] = getattr(flavor, 'name', None) or flavor.original_name
        found = audit_server(server.name, attached, expected, fix_base)
        self._record('server:%s' % server.name, since, found, 'attached to %s'
                     % (', '.join(g['name'] for g in attached) or 'no group'))
        for gid in sorted(group_ids - audited):
            audited.add(gid)
            group = self.conn.network.get_security_group(gid)
            self._audit(group, rules_for(declared, group.name, group.id, default=False))

    def _record(self, check, since, found, detail):
        self.findings.extend(found)
        self.checks.append(check_entry(check, elapsed_ms(since), found, detail, self.threshold))


def main():
    module = SecgroupCheckModule()
    module()


if __name__ == '__main__':
    main()
