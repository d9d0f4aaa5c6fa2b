# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: ssh_first_hops
short_description: The addresses the controller itself connects to, with the message when one cannot be reached
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - From the hosts of gpt371.infra.deployment_hosts, the first hop of every SSH path the controller opens, on
    tcp/22 (through a bastion only the bastion's floating IP; with V(floating_ip) or V(fixed_ip) every host's
    C(ansible_host)).
  - Each comes with the error to show when the controller cannot reach it, naming the address, the option
    C(infra_access) and the alternative.
options:
  _input:
    description: What gpt371.infra.deployment_hosts returned (C(hosts)).
    type: dict
    required: true
  access:
    description: V(bastion), V(floating_ip) or V(fixed_ip).
    type: str
    default: bastion
  bastion_group:
    description: The group of the bastion (named in the messages).
    type: str
    default: core
  timeout:
    description: Seconds the controller waited (named in the messages).
    type: int
    default: 0
'''

EXAMPLES = r'''
- name: Wait for tcp/22 on each first hop
  ansible.builtin.wait_for:
    host: "{{ item.address }}"
    port: 22
  loop: "{{ found | gpt371.infra.ssh_first_hops(access='bastion') }}"
'''

RETURN = r'''
_value:
  description: One per address, sorted by it, C(address), C(hosts) (the host names reached there) and C(closed_msg) (the targets of gpt371.infra.tcp_wait).
  type: list
  elements: dict
'''

from ansible_collections.gpt371.infra.plugins.module_utils._ssh_access import admin_cidrs, ssh_ingress_rules

ALTERNATIVES = {
    'bastion': ('set infra_access=fixed_ip if the controller sits on the tenant network (an AWX execution node '
                'in the project), or floating_ip to reach each server at its own floating IP'),
    'floating_ip': ('set infra_access=bastion to reach every server through the floating IP of %(group)s, or '
                    'fixed_ip if the controller sits on the tenant network'),
    'fixed_ip': ('set infra_access=bastion to reach every server through the floating IP of %(group)s (the '
                 'default for a real cloud), or floating_ip if every server has one'),
}
KIND = {'bastion': "the bastion's floating IP", 'floating_ip': 'floating IP', 'fixed_ip': 'fixed IP'}


def ssh_first_hops(found, access='bastion', bastion_group='core', timeout=0):
    """[{address, hosts, closed_msg}] of the addresses the controller connects to directly (no ProxyJump)."""
    if access not in ALTERNATIVES:
        raise ValueError('access %r: choose one of bastion, floating_ip, fixed_ip (infra_access)' % (access,))
    hops = {}
    for name, hostvars in sorted(((found or {}).get('hosts') or {}).items()):
        if hostvars.get('gpt371_bastion'):  # reached through the bastion (module_utils/_mark.py)
            continue
        address = hostvars.get('ansible_host') or ''
        if address:
            hops.setdefault(address, []).append(name)
    result = []
    for address in sorted(hops):
        names = ', '.join(hops[address])
        message = ('instances: the controller cannot reach %s (%s of %s) on tcp/22%s (infra_access=%s). Check that '
                   'the path is open (the ssh security group admits the controller\'s address, network_admin_cidr; '
                   'the router has its external gateway) and that the server booted (openstack console log show '
                   '%s); or %s.' % (address, KIND[access], names,
                                    ' within %d s' % int(timeout) if int(timeout or 0) > 0 else '', access,
                                    hops[address][0], ALTERNATIVES[access] % {'group': bastion_group}))
        result.append({'address': address, 'hosts': hops[address], 'closed_msg': message})
    return result


class FilterModule(object):
    def filters(self):
        # The network role's network_admin_cidr (one CIDR or a list): normalised and checked, and the ssh group's
        # rules, one per CIDR (module_utils/_ssh_access.py).
        return {'ssh_first_hops': ssh_first_hops, 'admin_cidrs': admin_cidrs, 'ssh_ingress_rules': ssh_ingress_rules}
