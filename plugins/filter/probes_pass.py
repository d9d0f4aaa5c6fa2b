# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: probes_pass
short_description: Whether every probe row of an integration report would pass
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Builds the probe rows M(gpt371.infra.integration_report) builds from the app hosts' results and says whether
    every one passes. A host that did not report, a point it skipped and a C(.env) lacking keys fail, as in the
    report.
  - The verify role lists the deployment's servers again only when this is false, so that a failing run's diagnosis
    sees the servers' states of now, not those of an earlier listing of the same run.
options:
  _input:
    description: "C({host: results}): each app host's C(verify__host_report) (C(probes), C(env_missing), ...)."
    type: dict
    required: true
  hosts:
    description: The hosts that must have reported (the verify play's hosts).
    type: list
    elements: str
  points:
    description: The integration points every host must have probed.
    type: list
    elements: str
    default: [database, storage, xpipe]
  probes:
    description: Further probes, as M(gpt371.infra.integration_report)'s O(gpt371.infra.integration_report#module:probes).
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: List the servers again only when a probe failed
  gpt371.infra.deployment_servers_info:
    deployment: "{{ verify_deployment }}"
  when: not (results | gpt371.infra.probes_pass(hosts=ansible_play_hosts_all))
'''

RETURN = r'''
_value:
  description: True when every probe row passes.
  type: bool
'''

from ansible_collections.gpt371.infra.plugins.module_utils._report import (
    DEFAULT_POINTS, build_rows, probes_from_results)


def probes_pass(results, hosts=None, points=DEFAULT_POINTS, probes=None):
    rows, _mismatches = probes_from_results(results, hosts, points)
    return all(row['ok'] for row in build_rows(list(probes or []) + rows))


class FilterModule(object):
    def filters(self):
        return {'probes_pass': probes_pass}
