#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: tcp_wait
short_description: Wait until TCP ports answer, every address side by side, in one module run
version_added: 0.4.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Tries a TCP connection to each of O(targets) from the host the task runs on, again every O(sleep) seconds, until
    it is accepted or O(timeout) seconds have passed. The targets are waited for side by side (one thread each),
    so N addresses cost about the slowest one, in one module run (C(ansible.builtin.wait_for) with C(async) costs
    a job and a status task per address).
  - Fails when any target did not answer, with each one's RV(results[].message) (the target's O(targets[].closed_msg),
    or the address, port and last error). Nothing is sent over a connection; it is closed at once.
  - Input errors (an empty address, a port out of range, a negative time) fail before any connection, naming the
    option.
options:
  targets:
    description: The addresses and ports to wait for.
    type: list
    elements: dict
    required: true
    suboptions:
      address:
        description: Host name or IP address.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        default: 22
      hosts:
        description: The inventory hosts reached through this address (returned as they are, for the report).
        type: list
        elements: str
        default: []
      closed_msg:
        description:
          - What to say when the target does not answer (the cause and the fix); default the address, port and last
            error.
        type: str
  timeout:
    description:
      - Seconds to wait, for all targets together. No try starts that would end after it.
      - A host name's look-up is held to it too (the resolver's own timeout may be longer); a target still being
        looked up then is reported as not answering.
    type: float
    default: 300
  connect_timeout:
    description: Seconds one connection try may take.
    type: float
    default: 5
  sleep:
    description: Seconds between tries to one target.
    type: float
    default: 1
attributes:
  check_mode:
    support: full
    description: The module only opens and closes TCP connections; it runs the same in check mode.
notes:
  - The roles run it on the controller, for the first hop of every SSH path (gpt371.infra.ssh_first_hops).
seealso:
  - module: ansible.builtin.wait_for
'''

EXAMPLES = r'''
- name: Wait for tcp/22 on the bastion and the API server
  gpt371.infra.tcp_wait:
    targets:
      - address: 203.0.113.10
        closed_msg: the bastion does not answer on tcp/22; check its security group
      - address: 203.0.113.11
        port: 443
    timeout: 120
'''

RETURN = r'''
results:
  description: One entry per target, in the order given.
  returned: always (empty on an input error)
  type: list
  elements: dict
  contains:
    address:
      description: The target's address.
      type: str
    port:
      description: The target's port.
      type: int
    hosts:
      description: The target's O(targets[].hosts).
      type: list
      elements: str
    open:
      description: Whether a connection was accepted within O(timeout).
      type: bool
    attempts:
      description: Connection tries made.
      type: int
    elapsed:
      description: Seconds until the port answered (or until the wait ended).
      type: float
    error:
      description: The last connection error, or null when the port answered.
      type: str
    message:
      description: Why it failed, with the fix (the target's O(targets[].closed_msg) when given).
      type: str
      returned: when the target did not answer
elapsed:
  description: Seconds the whole wait took.
  returned: always
  type: float
  sample: 0.02
msg:
  description: How many targets answered, or each failed target's message.
  returned: always
  type: str
option:
  description: The option at fault, for an input error.
  returned: on an input error
  type: str
  sample: targets
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpt371.infra.plugins.module_utils._tcp_wait import target_problem, wait_all


def main():
    module = AnsibleModule(
        argument_spec=dict(
            targets=dict(type='list', elements='dict', required=True, options=dict(
                address=dict(type='str', required=True),
                port=dict(type='int', default=22),
                hosts=dict(type='list', elements='str', default=[]),
                closed_msg=dict(type='str'),
            )),
            timeout=dict(type='float', default=300.0),
            connect_timeout=dict(type='float', default=5.0),
            sleep=dict(type='float', default=1.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for option, low in (('timeout', 0), ('connect_timeout', 0.1), ('sleep', 0)):
        if p[option] < low:
            module.fail_json(msg='%s: got %s; expected a number of seconds >= %s' % (option, p[option], low),
                             option=option, results=[], elapsed=0.0)
    for index, target in enumerate(p['targets']):
        problem = target_problem(index, target)
        if problem:
            module.fail_json(msg=problem, option='targets', results=[], elapsed=0.0)
    started = time.monotonic()
    results = wait_all(p['targets'], p['timeout'], p['connect_timeout'], p['sleep'])
    elapsed = round(time.monotonic() - started, 3)
    closed = [r['message'] for r in results if not r['open']]
    if closed:
        module.fail_json(msg=' '.join(closed), results=results, elapsed=elapsed)
    module.exit_json(changed=False, results=results, elapsed=elapsed,
                     msg='%d of %d answered' % (len(results), len(results)))


if __name__ == '__main__':
    main()
