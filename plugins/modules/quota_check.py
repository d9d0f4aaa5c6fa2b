#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: quota_check
short_description: Check, before anything is created, that the servers and addresses of a plan fit the project's quotas
version_added: 0.2.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads the project's compute limits (Nova) and network quotas with their usage (Neutron), adds up what the plan
    still has to create, and fails naming each quota that would be exceeded, what the plan needs, what is used and
    what is left. Nothing is created or changed; run it before the first write.
  - Servers of O(servers) that already exist (by name) count as nothing, so a re-run or a scale-up needs only the new
    ones. Their flavors' vCPUs and RAM give the C(cores) and C(ram) needs.
  - A limit of -1 is unlimited. Quotas the cloud does not report are not checked.
options:
  servers:
    description: The servers the plan wants; only those that do not exist yet count.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Server name.
        type: str
        required: true
      flavor:
        description: Flavor name or ID.
        type: str
        required: true
  floating_ips:
    description: Floating IPs the plan still has to create.
    type: int
    default: 0
  network_needs:
    description:
      - More Neutron resources the plan still has to create, by Neutron quota name (C(network), C(subnet),
        C(router), C(security_group), C(security_group_rule), C(port)).
    type: dict
    default: {}
  fail_on_shortfall:
    description: Fail when a quota would be exceeded (else only report it in RV(shortfalls)).
    type: bool
    default: true
extends_documentation_fragment:
  - openstack.cloud.openstack
notes:
  - Check mode is supported; the module never writes.
'''

EXAMPLES = r'''
- name: The servers fit the quotas
  gpt371.infra.quota_check:
    cloud: mycloud
    servers:
      - {name: prod-core, flavor: s1-4}
      - {name: prod-agent-server-0, flavor: s1-4}
    floating_ips: 1
'''

RETURN = r'''
needs:
  description: What the plan still has to create, by quota name.
  returned: always
  type: dict
  sample: {instances: 2, cores: 4, ram: 8192, floatingip: 1}
shortfalls:
  description: Each quota that would be exceeded.
  returned: always
  type: list
  elements: dict
  sample: [{quota: cores, need: 4, used: 18, limit: 20, left: 2}]
messages:
  description: One sentence per shortfall, naming the quota, the need and the fix.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.gpt371.infra.plugins.module_utils import _quota


class QuotaCheckModule(OpenStackModule):
    argument_spec = dict(
        servers=dict(type='list', elements='dict', default=[],
                     options=dict(name=dict(type='str', required=True), flavor=dict(type='str', required=True))),
        floating_ips=dict(type='int', default=0),
        network_needs=dict(type='dict', default={}),
        fail_on_shortfall=dict(type='bool', default=True),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        unknown = sorted(set(self.params['network_needs']) - set(_quota.NETWORK))
        if unknown:
            self.fail_json(msg='network_needs: unknown quota %s; use %s' % (
                ', '.join(unknown), ', '.join(_quota.NETWORK)))
        existing = set(server.name for server in self.conn.compute.servers())
        new = [server for server in self.params['servers'] if server['name'] not in existing]
        flavors = {}
        for name in sorted(set(server['flavor'] for server in new)):
            flavor = self.conn.compute.find_flavor(name, ignore_missing=True)
            if flavor is None:
                self.fail_json(msg='servers: flavor %r does not exist in this cloud; choose one of `openstack '
                                   'flavor list`' % name)
            flavors[name] = {'vcpus': flavor.vcpus, 'ram': flavor.ram}
        needs = _quota.compute_need(new, flavors)
        needs['floatingip'] = self.params['floating_ips']
        needs.update(self.params['network_needs'])
        limits = self.conn.compute.get_limits().absolute
        compute_limits = {key: getattr(limits, key, None) for pair in _quota.COMPUTE.values() for key in pair[:2]}
        network_quota = {}
        if any(needs.get(name) for name in _quota.NETWORK):
            quota = self.conn.network.get_quota(self.conn.current_project_id, details=True)
            network_quota = {name: getattr(quota, name, None) for name in _quota.NETWORK}
        shortfalls = _quota.shortfalls(needs, compute_limits, network_quota)
        messages = [_quota.message(item) for item in shortfalls]
        result = dict(changed=False, needs=needs, shortfalls=shortfalls, messages=messages)
        if shortfalls and self.params['fail_on_shortfall']:
            self.fail_json(msg='; '.join(messages) + '. Nothing was created.', **result)
        self.exit_json(**result)


def main():
    module = QuotaCheckModule()
    module()


if __name__ == '__main__':
    main()
