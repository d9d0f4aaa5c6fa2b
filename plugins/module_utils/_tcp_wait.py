# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The tcp_wait module's logic: wait until TCP ports answer, every address side by side, within one deadline.

One thread per target tries a TCP connection, then sleeps, until the port answers or the deadline comes; no
connection attempt may last past the deadline. A host name's look-up has no timeout of its own (the resolver's),
so the threads are waited for until the deadline only (plus JOIN_GRACE): one still resolving then is reported as
closed, and the wait ends within ``timeout`` all the same.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

JOIN_GRACE = 0.2  # seconds a thread gets past the deadline to report a try that ended right at it


def target_problem(index, target):
    """The input error of one target (naming it), or None."""
    address, port = target.get('address'), target.get('port')
    if not address or any(c.isspace() for c in address):
        return 'targets[%d].address: got %r; expected a host name or IP address' % (index, address)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        return 'targets[%d].port: got %r; expected a TCP port from 1 to 65535' % (index, port)
    return None


def wait_one(address, port, deadline, connect_timeout, sleep, clock=time.monotonic, connect=socket.create_connection,
             tally=None):
    """{open, attempts, elapsed, error} of trying ``address``:``port`` until it answers or ``deadline`` comes;
    ``tally`` (a one-item list), when given, counts the tries as they start."""
    started = clock()
    error = None
    tally = [0] if tally is None else tally  # the one count of tries: wait_all reads it for a thread still busy
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            break
        tally[0] += 1
        try:
            conn = connect((address, port), timeout=min(connect_timeout, remaining))
        except (OSError, ValueError) as exc:  # refused, timed out, unreachable, a name that does not resolve
            error = str(exc) or exc.__class__.__name__
        else:
            conn.close()
            return {'open': True, 'attempts': tally[0], 'elapsed': round(clock() - started, 3), 'error': None}
        pause = min(sleep, deadline - clock())
        if pause > 0:
            time.sleep(pause)
    return {'open': False, 'attempts': tally[0], 'elapsed': round(clock() - started, 3),
            'error': error or 'no try fitted in the timeout'}


def wait_all(targets, timeout, connect_timeout, sleep, connect=socket.create_connection):
    """The targets' results, in order, each with its address, port, hosts and (when closed) message; all waited
    side by side."""
    started = time.monotonic()
    deadline = started + timeout
    results = [None] * len(targets)
    tallies = [[0] for _target in targets]

    def run(index, target):
        results[index] = wait_one(target['address'], target['port'], deadline, connect_timeout, sleep,
                                  connect=connect, tally=tallies[index])

    threads = [threading.Thread(target=run, args=(i, t), daemon=True) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + JOIN_GRACE)
    out = []
    for target, result, tally in zip(targets, list(results), tallies):
        if result is None:  # its thread is still in a look-up or try: the deadline has passed (daemon, left)
            result = {'open': False, 'attempts': tally[0], 'elapsed': round(time.monotonic() - started, 3),
                      'error': 'still looking up or connecting when the timeout came'}
        result = dict(result, address=target['address'], port=target['port'], hosts=target.get('hosts') or [])
        if not result['open']:
            result['message'] = target.get('closed_msg') or '%s:%d did not answer on TCP within %s s (%s)' % (
                target['address'], target['port'], _num(timeout), result['error'])
        out.append(result)
    return out


def _num(value):
    return ('%d' % value) if float(value) == int(value) else ('%.1f' % value)
