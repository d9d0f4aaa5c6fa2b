#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: deb_packages_info
short_description: Say which of some Debian packages are installed, from dpkg alone
version_added: 0.3.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Asks dpkg (C(dpkg-query -W)) which of O(names) are installed, without opening the apt cache. It lets a role
    call M(ansible.builtin.apt), and refresh the package lists, only for what is missing, so a run with nothing to
    install costs one short command per host instead of an apt cache read per task.
  - A package counts as installed when dpkg's status for it is C(installed). Removed packages whose configuration
    is kept, and half-installed or unpacked ones, are missing (apt repairs them).
  - A name that is not a plain package name (C(name=version), C(name:arch), a pattern) is not decided here. It is
    listed in RV(undecided) and also in RV(missing), so M(ansible.builtin.apt) settles it. A virtual package
    (only provided by others) is missing here too. Both only cost an apt call that changes nothing.
  - Reads only; the same in check mode.
options:
  names:
    description: The package names to look for.
    type: list
    elements: str
    required: true
requirements:
  - dpkg (Debian and its derivatives)
extends_documentation_fragment:
  - gpt371.infra.host_read
'''

EXAMPLES = r'''
- name: Read which packages are missing
  gpt371.infra.deb_packages_info:
    names: [docker.io, python3-requests]
  register: debs

- name: Install only what is missing (the package lists refreshed first)
  when: debs.missing | length > 0
  ansible.builtin.apt:
    name: "{{ debs.missing }}"
    update_cache: true
'''

RETURN = r'''
installed:
  description: The names of O(names) that are installed, each with its version.
  returned: always
  type: dict
  sample: {docker.io: 20.10.24+dfsg1-1+deb12u1}
missing:
  description: The names of O(names) that are not installed, in the order given (the undecided ones included).
  returned: always
  type: list
  elements: str
  sample: [python3-requests]
undecided:
  description: The names left to apt because they are not plain package names.
  returned: always
  type: list
  elements: str
  sample: [docker-ce=5:27.*]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpt371.infra.plugins.module_utils._deb_packages import query_command, sort_packages


def main():
    module = AnsibleModule(argument_spec={'names': {'type': 'list', 'elements': 'str', 'required': True}},
                           supports_check_mode=True)
    names = [name.strip() for name in module.params['names'] if name and name.strip()]
    dpkg_query = module.get_bin_path('dpkg-query')
    if not dpkg_query:
        module.fail_json(msg='deb_packages_info: dpkg-query was not found: this module reads the Debian package '
                             'database; run it on Debian or a derivative only')
    listing = ''
    argv = query_command(dpkg_query, names)
    if argv:
        # Exit 1 only means some name is unknown to dpkg (missing); the known ones are still listed.
        rc, listing, err = module.run_command(argv, environ_update={'LC_ALL': 'C'})
        if rc not in (0, 1):
            module.fail_json(msg='deb_packages_info: dpkg-query failed (exit %d): %s' % (rc, err.strip()))
    module.exit_json(changed=False, **sort_packages(names, listing))


if __name__ == '__main__':
    main()
