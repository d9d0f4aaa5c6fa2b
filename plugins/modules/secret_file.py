#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: secret_file
short_description: Write a file that holds secrets, and its directory, in one module run; never logged or diffed
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Makes O(path) hold O(content) with O(owner), O(group) and O(mode), and its directory exist with
    O(directory_mode) (and the same owner and group), in one module run on the host. A file already as wanted is
    only read; M(ansible.builtin.file) plus M(ansible.builtin.copy) cost three module runs for the same result.
  - The content is compared with what the file holds and written only when it differs, to a temporary file in the
    same directory, then moved over O(path) in one rename, so a reader sees the old file or the new one, never a
    part of either.
  - O(content) is never returned, logged or shown as a diff; the result says only whether the file, its
    attributes or its directory changed.
  - In check mode nothing is written; the result says what would change.
options:
  path:
    description: The file to write.
    type: path
    required: true
  content:
    description: What the file must hold (written as UTF-8).
    type: str
    required: true
  owner:
    description: The owner of the file and of its directory; omitted, whoever runs the module (nothing changed).
    type: str
  group:
    description: The group of the file and of its directory; omitted, the runner's group (nothing changed).
    type: str
  mode:
    description: The file's mode, in octal.
    type: str
    default: '0600'
  directory_mode:
    description: The directory's mode, in octal; it is created when missing (its parents too, with this mode).
    type: str
    default: '0755'
attributes:
  check_mode:
    description: Says what would change, writing nothing.
    support: full
  diff_mode:
    description: Never shows a diff (the content is secret).
    support: none
seealso:
  - module: ansible.builtin.copy
'''

EXAMPLES = r'''
- name: Write the .env (0600, atomic, never logged)
  gpt371.infra.secret_file:
    path: /opt/371gpt/.env
    content: "{{ env_text }}"
    owner: root
    group: root
    mode: "0600"
    directory_mode: "0755"
  no_log: true
  register: env_write
'''

RETURN = r'''
path:
  description: The file written or found as wanted.
  returned: always
  type: str
  sample: /opt/371gpt/.env
content_changed:
  description: Whether the content was (in check mode, would be) written.
  returned: always
  type: bool
  sample: false
attributes_changed:
  description: Whether the file's owner, group or mode was (would be) changed.
  returned: always
  type: bool
  sample: false
directory_changed:
  description: Whether the directory was (would be) created or its owner, group or mode changed.
  returned: always
  type: bool
  sample: false
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpt371.infra.plugins.module_utils._file_modes import octal_mode


def attributes(module, path, mode):
    """Set owner, group and mode where they differ (check mode: only say so); True when something differs."""
    changed = False
    if module.params['owner'] is not None:
        changed = module.set_owner_if_different(path, module.params['owner'], changed)
    if module.params['group'] is not None:
        changed = module.set_group_if_different(path, module.params['group'], changed)
    return module.set_mode_if_different(path, mode, changed)


def make_directories(module, directory, mode):
    """Create directory and its missing parents, each with mode, owner and group (as ansible.builtin.file does)."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except OSError as error:
            module.fail_json(msg='secret_file: cannot create the directory %s: %s' % (path, error.strerror))
        attributes(module, path, mode)  # the umask may have cleared bits of mode


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'content': {'type': 'str', 'required': True, 'no_log': True},
            'owner': {'type': 'str'},
            'group': {'type': 'str'},
            'mode': {'type': 'str', 'default': '0600'},
            'directory_mode': {'type': 'str', 'default': '0755'},
        },
        supports_check_mode=True)
    path = module.params['path']
    mode = octal_mode(module, 'mode', 'secret_file')
    directory_mode = octal_mode(module, 'directory_mode', 'secret_file')
    directory = os.path.dirname(path) or '.'
    wanted = module.params['content'].encode('utf-8')

    directory_changed = False
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            module.fail_json(msg='secret_file: %s exists and is not a directory: the file cannot go in it' % directory)
        directory_changed = True
        if not module.check_mode:
            make_directories(module, directory, directory_mode)
    if os.path.isdir(directory):
        directory_changed = attributes(module, directory, directory_mode) or directory_changed
    elif module.check_mode:
        module.exit_json(changed=True, path=path, content_changed=True, attributes_changed=True,
                         directory_changed=True)

    if os.path.exists(path) and not os.path.isfile(path):
        module.fail_json(msg='secret_file: %s exists and is not a regular file' % path)
    have = None
    if os.path.isfile(path):
        with open(path, 'rb') as handle:
            have = handle.read()
    content_changed = have != wanted
    if content_changed and not module.check_mode:
        # Written with the wanted mode from the start: the secret is never readable by others, even for a moment.
        handle, temporary = tempfile.mkstemp(prefix='.secret_file.', dir=directory)
        try:
            os.fchmod(handle, mode)
            with os.fdopen(handle, 'wb') as out:
                out.write(wanted)
                out.flush()
                os.fsync(out.fileno())
            # A rename in one directory (no copy across devices, which module.atomic_move may do and whose new file
            # briefly takes the umask's mode); owner and group are set below, the mode already is the wanted one.
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    if os.path.isfile(path):
        attributes_changed = attributes(module, path, mode)
    else:  # check mode, a file still to write
        attributes_changed = True
    module.exit_json(changed=content_changed or attributes_changed or directory_changed, path=path,
                     content_changed=content_changed, attributes_changed=attributes_changed,
                     directory_changed=directory_changed)


if __name__ == '__main__':
    main()
