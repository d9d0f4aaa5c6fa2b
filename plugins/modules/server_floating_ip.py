#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: server_floating_ip
short_description: Give a server one floating IP, decided from Neutron and waited for in Nova with a bound
version_added: 0.2.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Ensures a server has a floating IP from O(network) on one of its ports. Whether it has one is read from Neutron,
    which owns floating IPs (the floating IPs of the server's ports), not from the server's addresses in Nova.
  - Nova lists a floating address in the server's addresses only after Neutron's C(network-changed) event has
    reached it, which Neutron sends in batches (C(send_events_interval)). M(openstack.cloud.floating_ip) reads
    Nova's view right after attaching and fails with a Python error when the event has not arrived yet; it also
    decides from Nova's view whether to create an address, so a re-run inside that window adds a second one.
  - With O(wait=true) the module waits, up to O(timeout) seconds, until Nova shows the address, so that later reads
    of the server (inventories, outputs) see it. On timeout it fails naming the address, the port, what Nova still
    shows and what to check; the address stays attached and a re-run finds it.
  - Check mode reports whether an address would be created, without creating it (also when the server itself
    does not exist yet).
options:
  server:
    description: Name or ID of the server.
    type: str
    required: true
  network:
    description: Name or ID of the external network (pool) the floating IP comes from.
    type: str
    required: true
  fixed_address:
    description:
      - Fixed IP of the server the floating IP is bound to. Default is the first IPv4 address of the server's
        ports (sorted by port ID).
    type: str
notes:
  - O(wait) (default V(true)) and O(timeout) (default V(180)) come from the OpenStack options below; O(timeout)
    bounds the wait for Nova only.
requirements:
  - python >= 3.6
  - openstacksdk >= 1.0.0
seealso:
  - module: openstack.cloud.floating_ip
extends_documentation_fragment:
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Floating IP of the API server
  gpt371.infra.server_floating_ip:
    cloud: mycloud
    server: gpt371-core
    network: public
    timeout: 120
'''

RETURN = r'''
floating_ip:
  description: The floating IP as Neutron holds it (planned values in check mode when it would be created).
  returned: success
  type: dict
  contains:
    id:
      description: ID of the floating IP (none in check mode when it would be created).
      type: str
    floating_ip_address:
      description: The public address (none in check mode when it would be created).
      type: str
    fixed_ip_address:
      description: The server's fixed IP it translates to.
      type: str
    port_id:
      description: The server port it is bound to.
      type: str
    floating_network_id:
      description: ID of O(network).
      type: str
    status:
      description: Neutron's status of the floating IP (V(ACTIVE) once an L3 agent configured it).
      type: str
nova_shows:
  description: Whether Nova lists the address in the server's addresses when the module returns.
  returned: success
  type: bool
waited:
  description: Seconds spent waiting for Nova to show the address.
  returned: success
  type: float
'''

import time

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule
from ansible_collections.gpt371.infra.plugins.module_utils._floating_ip import (
    choose_port, nova_shows, timeout_message)

_FIELDS = ('id', 'floating_ip_address', 'fixed_ip_address', 'port_id', 'floating_network_id', 'status')


class ServerFloatingIpModule(OpenStackModule):
    argument_spec = dict(
        server=dict(required=True),
        network=dict(required=True),
        fixed_address=dict(),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        server = self.conn.compute.find_server(self.params['server'], ignore_missing=True)
        if server is None and self.ansible.check_mode:
            # Planned together with its server (check mode creates neither).
            self.exit_json(changed=True, floating_ip=dict.fromkeys(_FIELDS), nova_shows=False, waited=0.0)
        if server is None:
            self.fail_json(msg='server %s does not exist: create it first (instances role)' % self.params['server'])
        network = self.conn.network.find_network(self.params['network'], ignore_missing=True)
        if network is None:
            self.fail_json(msg='network %s (option network) does not exist: name the external network that '
                               'floating IPs come from (openstack network list --external)' % self.params['network'])
        ports = [p.to_dict(computed=False) for p in self.conn.network.ports(device_id=server.id)]
        port, fixed = choose_port(ports, self.params['fixed_address'])
        if port is None:
            which = self.params['fixed_address'] or 'an IPv4 address'
            self.fail_json(msg='server %s has no port with %s in Neutron: a floating IP needs one'
                               % (server.name, which))

        existing = [ip for p in ports for ip in self.conn.network.ips(port_id=p['id'])
                    if ip.floating_network_id == network.id]
        changed = not existing
        if existing:
            ip = existing[0]
        elif self.ansible.check_mode:
            planned = dict.fromkeys(_FIELDS)
            planned.update(fixed_ip_address=fixed, port_id=port['id'], floating_network_id=network.id)
            self.exit_json(changed=True, floating_ip=planned, nova_shows=False, waited=0.0)
        else:
            ip = self.conn.network.create_ip(floating_network_id=network.id, port_id=port['id'],
                                             fixed_ip_address=fixed)

        waited = 0.0
        shown = nova_shows(server.addresses, ip.floating_ip_address)
        if self.params['wait'] and not shown:
            start = time.monotonic()
            deadline = start + self.params['timeout']
            while not shown and time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
                server = self.conn.compute.get_server(server.id)
                shown = nova_shows(server.addresses, ip.floating_ip_address)
            waited = round(time.monotonic() - start, 1)
            if not shown:
                self.fail_json(msg=timeout_message(server.name, ip.floating_ip_address, ip.port_id,
                                                   ip.fixed_ip_address, server.addresses, waited),
                               changed=changed, floating_ip=self._ip_dict(ip), nova_shows=False, waited=waited)
        self.exit_json(changed=changed, floating_ip=self._ip_dict(ip), nova_shows=shown, waited=waited)

    @staticmethod
    def _ip_dict(ip):
        return dict((field, ip[field]) for field in _FIELDS)


def main():
    module = ServerFloatingIpModule()
    module()


if __name__ == '__main__':
    main()
