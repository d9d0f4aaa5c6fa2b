#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: server_catalog_info
short_description: The images, flavors and key pairs that servers name, looked up over one connection
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Looks up each image (in Glance, by name or ID, as C(openstack.cloud.image_info) does) and each flavor (in Nova,
    by name or ID, as C(openstack.cloud.compute_flavor_info) does) in one module run, and names those the cloud does
    not have. The instances role's precheck reads the catalog with it once per run, instead of one module run per
    image and per flavor.
  - Key pairs (in Nova, by name, as C(openstack.cloud.keypair_info) does) are read over the same connection, so
    the deploy calls C(openstack.cloud.keypair) only for a key pair the cloud does not have yet.
  - Nothing is created or changed.
options:
  images:
    description: Names or IDs of images.
    type: list
    elements: str
    default: []
  flavors:
    description: Names or IDs of flavors.
    type: list
    elements: str
    default: []
  keypairs:
    description: Names of key pairs (of the user the cloud credentials belong to).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
extends_documentation_fragment:
  - openstack.cloud.openstack
notes:
  - Check mode is supported; the module never writes, and returns the same in check mode.
seealso:
  - module: openstack.cloud.image_info
  - module: openstack.cloud.compute_flavor_info
  - module: openstack.cloud.keypair_info
'''

EXAMPLES = r'''
- name: The images and flavors the servers name
  gpt371.infra.server_catalog_info:
    cloud: mycloud
    images: [debian-12]
    flavors: [m1.small, m1.large]
  register: catalog

- name: Fail on any the cloud lacks
  ansible.builtin.assert:
    that: catalog.missing.images + catalog.missing.flavors == []
'''

RETURN = r'''
images:
  description: Per name asked for, the images that match it (as C(openstack.cloud.image_info) returns them).
  returned: always
  type: dict
  sample: {debian-12: [{id: 5f1e..., name: debian-12, status: active}]}
flavors:
  description: Per name asked for, the flavor it names (as C(openstack.cloud.compute_flavor_info) returns it), or
    C(null).
  returned: always
  type: dict
  sample: {m1.small: {id: '2', name: m1.small, vcpus: 1, ram: 2048, disk: 20}}
keypairs:
  description: Per name asked for, the key pair (as C(openstack.cloud.keypair_info) returns it), or C(null).
  returned: always
  type: dict
  sample: {gpt371-key: {name: gpt371-key, fingerprint: '5e:7a:...', type: ssh}}
missing:
  description: The images, flavors and key pairs the cloud does not have, in the order asked for.
  returned: always
  type: dict
  contains:
    images:
      description: Images with no match.
      type: list
      elements: str
      returned: always
    flavors:
      description: Flavors not found.
      type: list
      elements: str
      returned: always
    keypairs:
      description: Key pairs not found.
      type: list
      elements: str
      returned: always
  sample: {images: [], flavors: [m1.huge], keypairs: []}
'''

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule


class ServerCatalogInfoModule(OpenStackModule):
    argument_spec = dict(
        images=dict(type='list', elements='str', default=[]),
        flavors=dict(type='list', elements='str', default=[]),
        keypairs=dict(type='list', elements='str', no_log=False, default=[]),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        images = dict((name, [i.to_dict(computed=False) for i in self.conn.search_images(name_or_id=name)])
                      for name in self.params['images'])
        flavors = {}
        for name in self.params['flavors']:
            flavor = self.conn.compute.find_flavor(name, ignore_missing=True)
            flavors[name] = flavor.to_dict(computed=False) if flavor else None
        keypairs = {}
        for name in self.params['keypairs']:
            keypair = self.conn.compute.find_keypair(name, ignore_missing=True)
            keypairs[name] = keypair.to_dict(computed=False) if keypair else None
        self.exit_json(changed=False, images=images, flavors=flavors, keypairs=keypairs, missing=dict(
            images=[name for name in self.params['images'] if not images[name]],
            flavors=[name for name in self.params['flavors'] if flavors[name] is None],
            keypairs=[name for name in self.params['keypairs'] if keypairs[name] is None]))


def main():
    ServerCatalogInfoModule()()


if __name__ == '__main__':
    main()
