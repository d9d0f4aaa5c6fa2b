# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Octal mode options of the modules that write or read files (secret_file, tls_files_state)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def octal_mode(module, name, module_name):
    """The option ``name`` as a file mode; a value that is not an octal mode fails naming the module and option."""
    value = module.params[name]
    try:
        mode = int(value, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        module.fail_json(msg='%s: %s must be an octal mode such as 0600 (got %r)' % (module_name, name, value))
    return mode
