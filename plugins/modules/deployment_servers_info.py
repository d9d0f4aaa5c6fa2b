#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: deployment_servers_info
short_description: The servers carrying a deployment's mark, in one call to Nova
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Lists the project's servers with their details in one call to Nova and returns those whose metadata carries
    C(gpt371_deployment=<deployment>) (the mark the instances role sets), as Nova describes them.
  - Unlike C(openstack.cloud.server_info), it does not look up each server's networks, ports and floating IPs in
    Neutron to add C(private_v4), C(public_v4) and C(interface_ip). The addresses are in Nova's C(addresses), by
    network, each with its C(OS-EXT-IPS:type) (C(fixed) or C(floating)), which is what the collection's filters
    and the dynamic inventory read. A deployment of N servers costs one call instead of one plus several per
    server.
  - Nothing is created or changed.
options:
  deployment:
    description: The deployment whose servers to list (metadata C(gpt371_deployment)).
    type: str
    required: true
extends_documentation_fragment:
  - openstack.cloud.openstack
notes:
  - Check mode is supported; the module never writes, and returns the same in check mode.
seealso:
  - module: openstack.cloud.server_info
'''

EXAMPLES = r'''
- name: The deployment's servers
  gpt371.infra.deployment_servers_info:
    cloud: mycloud
    deployment: prod
  register: found

- name: Their states
  ansible.builtin.debug:
    msg: "{{ found.servers | items2dict(key_name='name', value_name='status') }}"
'''

RETURN = r'''
servers:
  description: The deployment's servers, sorted by name, as Nova describes them (C(to_dict) of openstacksdk's Server).
  returned: always
  type: list
  elements: dict
  sample:
    - name: prod-core
      id: 0c1a...
      status: ACTIVE
      metadata: {gpt371_deployment: prod, gpt371_role: core}
      addresses: {prod-net: [{addr: 10.10.0.5, OS-EXT-IPS:type: fixed, version: 4}]}
      security_groups: [{name: prod-ssh}]
'''

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.gpt371.infra.plugins.module_utils import _mark


class DeploymentServersInfoModule(OpenStackModule):
    argument_spec = dict(
        deployment=dict(type='str', required=True),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        deployment = self.params['deployment']
        servers = [server.to_dict(computed=False) for server in self.conn.compute.servers(details=True)]
        marked = [s for s in servers if (s.get('metadata') or {}).get(_mark.META_DEPLOYMENT) == deployment]
        self.exit_json(changed=False, servers=sorted(marked, key=lambda s: s.get('name') or ''))


def main():
    DeploymentServersInfoModule()()


if __name__ == '__main__':
    main()
