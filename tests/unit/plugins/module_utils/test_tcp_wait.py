# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_tcp_wait against real sockets on 127.0.0.1: one that listens, one that opens late, one that stays closed."""
import socket
import threading
import time

from ansible_collections.gpt371.infra.plugins.module_utils._tcp_wait import target_problem, wait_all


def listening():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(8)
    return server


def closed_port():
    """A port nothing listens on (bound once, then released)."""
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_targets_are_waited_for_side_by_side_and_a_late_one_counts():
    early = listening()
    late_port = closed_port()
    late = socket.socket()
    late.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    opener = threading.Timer(1.0, lambda: (late.bind(('127.0.0.1', late_port)), late.listen(8)))
    opener.start()
    try:
        started = time.monotonic()
        results = wait_all([{'address': '127.0.0.1', 'port': early.getsockname()[1], 'hosts': ['a']},
                            {'address': '127.0.0.1', 'port': late_port}], timeout=10, connect_timeout=1, sleep=0.2)
        took = time.monotonic() - started
    finally:
        opener.join()
        early.close()
        late.close()
    assert [r['open'] for r in results] == [True, True], results
    assert results[0]['attempts'] == 1 and results[0]['hosts'] == ['a'] and results[0]['error'] is None
    assert results[1]['attempts'] > 1 and 1.0 <= results[1]['elapsed'] < 2.0, results[1]
    assert took < 2.0, 'the open one did not wait for the late one, the late one was seen within a sleep: %.2f' % took


def test_a_closed_port_ends_at_the_timeout_with_its_message_or_the_last_error():
    port = closed_port()
    started = time.monotonic()
    results = wait_all([{'address': '127.0.0.1', 'port': port, 'closed_msg': 'the bastion is closed: fix X'},
                        {'address': '127.0.0.1', 'port': port}], timeout=1.5, connect_timeout=1, sleep=0.3)
    took = time.monotonic() - started
    assert not any(r['open'] for r in results)
    assert results[0]['message'] == 'the bastion is closed: fix X'
    assert results[1]['message'].startswith('127.0.0.1:%d did not answer on TCP within 1.5 s (' % port)
    assert 'refused' in results[1]['error'].lower(), results[1]
    assert 1.5 <= took < 1.5 + 0.3, 'the wait ends at its timeout: %.2f s' % took


def test_a_zero_timeout_tries_nothing():
    results = wait_all([{'address': '127.0.0.1', 'port': closed_port()}], timeout=0, connect_timeout=1, sleep=1)
    assert results[0]['attempts'] == 0 and not results[0]['open']


def test_input_errors_name_the_target():
    assert target_problem(0, {'address': '10.0.0.1', 'port': 22}) is None
    assert target_problem(2, {'address': '', 'port': 22}).startswith('targets[2].address: got')
    assert target_problem(1, {'address': 'a b', 'port': 22}).startswith('targets[1].address')
    assert target_problem(0, {'address': 'h', 'port': 70000}).startswith('targets[0].port: got 70000')


def test_a_look_up_that_outlasts_the_timeout_does_not_hold_the_wait():
    """A host name whose look-up hangs (the resolver's own timeout is not ours): reported closed at the timeout.
    The hanging resolver is a stand-in (no DNS here); the other target is a real closed port."""
    released = threading.Event()

    def hanging_resolver_standin(address, timeout):
        if address[0] == 'hangs.example':
            released.wait(10)
            raise OSError('resolver gave up')
        return socket.create_connection(address, timeout=timeout)

    port = closed_port()
    started = time.monotonic()
    try:
        results = wait_all([{'address': 'hangs.example', 'port': 22}, {'address': '127.0.0.1', 'port': port}],
                           timeout=1.0, connect_timeout=1, sleep=0.2, connect=hanging_resolver_standin)
        took = time.monotonic() - started
    finally:
        released.set()
    assert not results[0]['open'] and results[0]['attempts'] == 1, results[0]
    assert results[0]['error'] == 'still looking up or connecting when the timeout came', results[0]
    assert results[0]['message'].startswith('hangs.example:22 did not answer on TCP within 1 s (still looking up')
    assert not results[1]['open'] and results[1]['attempts'] > 1, results[1]
    assert took < 1.0 + 0.5, 'the wait ends at its timeout: %.2f s' % took
