# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the server_floating_ip module: which port gets the address, what Nova shows of it.

Neutron owns floating IPs; Nova lists one in a server's addresses only after Neutron's network-changed event has
reached it (batched every send_events_interval seconds). Decisions are made on Neutron's answer; Nova's view is
only waited for, with a bound.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def choose_port(ports, fixed_address=None):
    """The server port (dicts with id and fixed_ips) that holds fixed_address, or the first with an IPv4 address.

    Returns (port, fixed_ip) or (None, None)."""
    for port in sorted(ports, key=lambda p: p.get('id') or ''):
        for fixed in port.get('fixed_ips') or []:
            address = fixed.get('ip_address') or ''
            if fixed_address and address != fixed_address:
                continue
            if fixed_address or ':' not in address:
                return port, address
    return None, None


def nova_floating_addresses(addresses):
    """Floating addresses of a server as Nova shows them (server.addresses: {network: [{addr, OS-EXT-IPS:type}]})."""
    found = []
    for entries in (addresses or {}).values():
        for entry in entries or []:
            if entry.get('OS-EXT-IPS:type') == 'floating':
                found.append(entry.get('addr'))
    return found


def nova_shows(addresses, floating_ip_address):
    return floating_ip_address in nova_floating_addresses(addresses)


def summarize_addresses(addresses):
    """'net: 10.0.0.5 (fixed), 172.24.4.9 (floating)' for a message."""
    parts = []
    for network in sorted(addresses or {}):
        shown = ', '.join('%s (%s)' % (e.get('addr'), e.get('OS-EXT-IPS:type', '?'))
                          for e in addresses[network] or [])
        parts.append('%s: %s' % (network, shown or 'none'))
    return '; '.join(parts) or 'no addresses'


def timeout_message(server_name, floating_ip, port_id, fixed_address, addresses, waited):
    """What was attached, what Nova still shows, and what to check, when Nova did not catch up in time."""
    return (
        'floating IP {fip} is attached to port {port} ({fixed}) of server {server} in Neutron, but after {waited:.0f} s '
        'Nova still shows {shown}. Nova learns of the address from Neutron\'s network-changed event: check that '
        'neutron-server can reach Nova ([nova] section of neutron.conf, notify_nova_on_port_data_changes, '
        'send_events_interval) and nova-api\'s os-server-external-events log. Re-running keeps this address '
        '(it is read from Neutron, not created again); raise timeout on a slow cloud.'
    ).format(fip=floating_ip, port=port_id, fixed=fixed_address, server=server_name, waited=waited,
             shown=summarize_addresses(addresses))
