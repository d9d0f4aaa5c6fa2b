#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: network_state
short_description: Read a deployment's network, subnet, router and security groups in one call, and what differs
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads, over one connection, the network, the subnets, the router with its internal interfaces and the
    security groups as the cloud has them, and compares the network, subnet and router with the declaration.
  - RV(drift) names, per resource, each reason C(openstack.cloud.network), C(openstack.cloud.subnet) or
    C(openstack.cloud.router) would change it when given the same options; an empty list means that module would
    change nothing. The network role calls those modules only for a resource with a reason, so a run with nothing
    to change makes this one read.
  - Nothing is created or changed.
options:
  network:
    description: The declared network.
    type: dict
    required: true
    suboptions:
      name:
        description: Network name.
        type: str
        required: true
      tags:
        description: Its tags (compared as a set); omitted, not compared.
        type: list
        elements: str
  subnet:
    description: The declared subnet (on O(network)).
    type: dict
    required: true
    suboptions:
      name:
        description: Subnet name.
        type: str
        required: true
      cidr:
        description: Its CIDR.
        type: str
        required: true
      description:
        description: Its description; omitted, not compared.
        type: str
      dns_nameservers:
        description: Its DNS name servers (compared sorted); empty, not compared.
        type: list
        elements: str
        default: []
      tags:
        description: Its tags (compared as a set); omitted, not compared.
        type: list
        elements: str
  router:
    description: The declared router, attached to O(subnet) only.
    type: dict
    required: true
    suboptions:
      name:
        description: Router name.
        type: str
        required: true
      external_network:
        description: Name or ID of the network of its external gateway; empty for none (not compared).
        type: str
        default: ''
      tags:
        description: Its tags (compared as a set); omitted, not compared.
        type: list
        elements: str
extends_documentation_fragment:
  - openstack.cloud.openstack
notes:
  - Check mode is supported; the module never writes, and returns the same in check mode.
seealso:
  - module: openstack.cloud.network
  - module: openstack.cloud.subnet
  - module: openstack.cloud.router
  - module: openstack.cloud.security_group_info
'''

EXAMPLES = r'''
- name: Read the network as it is
  gpt371.infra.network_state:
    cloud: mycloud
    network: {name: prod-net, tags: [gpt371]}
    subnet: {name: prod-subnet, cidr: 10.10.0.0/24, tags: [gpt371]}
    router: {name: prod-router, external_network: public, tags: [gpt371]}
  register: now

- name: Private network, only when it differs
  when: now.drift.network | length > 0
  openstack.cloud.network:
    cloud: mycloud
    name: prod-net
    tags: [gpt371]
'''

RETURN = r'''
network:
  description: The network of that name; empty when there is none or more than one.
  returned: always
  type: dict
  sample: {id: 6b8f..., name: prod-net, tags: [gpt371]}
subnet:
  description: The subnet of that name on the network; empty when there is none or more than one.
  returned: always
  type: dict
  sample: {id: 2c1d..., name: prod-subnet, cidr: 10.10.0.0/24}
router:
  description: The router of that name; empty when there is none or more than one.
  returned: always
  type: dict
  sample: {id: 9e0a..., name: prod-router, external_gateway_info: {network_id: 4d2f...}}
router_interface_subnet_ids:
  description: The subnets of the router's internal interfaces.
  returned: always
  type: list
  elements: str
  sample: [2c1d...]
external_network_id:
  description: The ID of O(router.external_network); empty when none is declared or the cloud has none of that name.
  returned: always
  type: str
  sample: 4d2f...
external_network:
  description:
    - The network O(router.external_network) names (as C(openstack.cloud.networks_info) returns it, with
      C(is_router_external)); empty when none is declared or the cloud has none of that name.
    - A router cannot get its gateway on a network that is missing or not external; check this before applying it
      (the router's reasons in RV(drift) then say C(external network ... not found)).
  returned: always
  type: dict
  sample: {id: 4d2f..., name: public, is_router_external: true}
subnets:
  description: Every subnet the project sees (as C(openstack.cloud.subnets_info) returns them).
  returned: always
  type: list
  elements: dict
security_groups:
  description: Every security group the project sees, with its rules (as C(openstack.cloud.security_group_info)).
  returned: always
  type: list
  elements: dict
drift:
  description: Per resource, why its openstack.cloud module would change it; empty lists when it would not.
  returned: always
  type: dict
  sample: {network: [], subnet: [], router: [not attached to the subnet]}
'''

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.gpt371.infra.plugins.module_utils import _network_drift


def _dict(resource):
    return resource.to_dict(computed=False)


class NetworkStateModule(OpenStackModule):
    argument_spec = dict(
        network=dict(type='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            tags=dict(type='list', elements='str'))),
        subnet=dict(type='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            cidr=dict(type='str', required=True),
            description=dict(type='str'),
            dns_nameservers=dict(type='list', elements='str', default=[]),
            tags=dict(type='list', elements='str'))),
        router=dict(type='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            external_network=dict(type='str', default=''),
            tags=dict(type='list', elements='str'))),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        declared = self.params
        external = None
        if declared['router']['external_network']:
            external = self.conn.network.find_network(declared['router']['external_network'], ignore_missing=True)
        external_id = external.id if external is not None else ''
        networks = [_dict(n) for n in self.conn.network.networks(name=declared['network']['name'])]
        subnets = [_dict(s) for s in self.conn.network.subnets()]
        routers = [_dict(r) for r in self.conn.network.routers(name=declared['router']['name'])]
        groups = [_dict(g) for g in self.conn.network.security_groups()]
        network = _network_drift.the_one(networks, declared['network']['name'])
        subnet = _network_drift.the_one(subnets, declared['subnet']['name'], network_id=network['id']) \
            if network else None
        router = _network_drift.the_one(routers, declared['router']['name'])
        interface_subnets = []
        if router:
            for port in self.conn.list_router_interfaces(router, 'internal'):
                interface_subnets.extend(ip['subnet_id'] for ip in port.get('fixed_ips') or [])
        self.exit_json(
            changed=False, network=network or {}, subnet=subnet or {}, router=router or {},
            router_interface_subnet_ids=interface_subnets, external_network_id=external_id,
            external_network=_dict(external) if external is not None else {},
            subnets=subnets, security_groups=groups,
            drift=dict(
                network=_network_drift.network_reasons(networks, declared['network']),
                subnet=_network_drift.subnet_reasons(subnets, network, declared['subnet']),
                router=([] if external is not None or not declared['router']['external_network'] else
                        ['external network %s not found' % declared['router']['external_network']])
                + _network_drift.router_reasons(routers, interface_subnets, subnet, external_id,
                                                declared['router'])))


def main():
    NetworkStateModule()()


if __name__ == '__main__':
    main()
