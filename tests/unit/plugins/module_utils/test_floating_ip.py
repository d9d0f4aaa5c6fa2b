# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of server_floating_ip's pure helpers (ports and addresses as Neutron and Nova return them)."""

from ansible_collections.gpt371.infra.plugins.module_utils._floating_ip import (
    choose_port, nova_floating_addresses, nova_shows, summarize_addresses, timeout_message)


def port(port_id, *addresses):
    return {'id': port_id, 'fixed_ips': [{'subnet_id': 's', 'ip_address': a} for a in addresses]}


# The window the module waits through: Neutron attached the address, Nova's cache has only the fixed one.
BEFORE_EVENT = {'net': [{'addr': '10.10.0.5', 'OS-EXT-IPS:type': 'fixed', 'version': 4}]}
AFTER_EVENT = {'net': [{'addr': '10.10.0.5', 'OS-EXT-IPS:type': 'fixed', 'version': 4},
                       {'addr': '172.24.4.9', 'OS-EXT-IPS:type': 'floating', 'version': 4}]}


def test_choose_port_takes_the_first_ipv4_by_port_id():
    ports = [port('b', '10.10.0.7'), port('a', 'fd00::5', '10.10.0.5')]
    assert choose_port(ports) == (ports[1], '10.10.0.5')


def test_choose_port_skips_ipv6_only_ports():
    ports = [port('a', 'fd00::5'), port('b', '10.10.0.7')]
    assert choose_port(ports) == (ports[1], '10.10.0.7')


def test_choose_port_honours_fixed_address():
    ports = [port('a', '10.10.0.5'), port('b', '10.20.0.5')]
    assert choose_port(ports, '10.20.0.5') == (ports[1], '10.20.0.5')
    assert choose_port(ports, '10.30.0.5') == (None, None)


def test_choose_port_without_ports():
    assert choose_port([]) == (None, None)
    assert choose_port([{'id': 'a', 'fixed_ips': None}]) == (None, None)


def test_nova_view_before_and_after_the_event():
    assert nova_floating_addresses(BEFORE_EVENT) == []
    assert not nova_shows(BEFORE_EVENT, '172.24.4.9')
    assert nova_shows(AFTER_EVENT, '172.24.4.9')
    assert not nova_shows(None, '172.24.4.9')
    assert not nova_shows(AFTER_EVENT, '172.24.4.10')


def test_summarize_addresses():
    assert summarize_addresses(AFTER_EVENT) == 'net: 10.10.0.5 (fixed), 172.24.4.9 (floating)'
    assert summarize_addresses({}) == 'no addresses'


def test_timeout_message_says_what_was_attached_what_nova_shows_and_what_to_check():
    msg = timeout_message('dep-core', '172.24.4.9', 'port-1', '10.10.0.5', BEFORE_EVENT, 120.4)
    assert 'floating IP 172.24.4.9 is attached to port port-1 (10.10.0.5) of server dep-core in Neutron' in msg
    assert 'after 120 s Nova still shows net: 10.10.0.5 (fixed)' in msg
    assert 'send_events_interval' in msg and 'Re-running keeps this address' in msg
