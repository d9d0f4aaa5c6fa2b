# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes of the modules that only read a host's state, so that a role writes only what differs."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Runs in check mode, reading the same as in a normal run.
    support: full
  diff_mode:
    description: Returns no diff (it changes nothing).
    support: none
'''
