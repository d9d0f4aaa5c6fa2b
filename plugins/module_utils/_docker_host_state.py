# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""What a Docker host differs in from what the docker_host role wants: pure functions over what was read.

The module docker_host_state reads the host once (dpkg, a few files, a group, the service links, two version
commands); these functions decide, so the role calls apt, copy, blockinfile, user, service and the engine start only
for what differs, and a host with nothing to change costs one module run.
"""

from __future__ import absolute_import, division, print_function

import hashlib
import re

__metaclass__ = type

# What `docker compose version --short` / `docker-compose version --short` prints: "2.40.3" or "v2.40.3".
VERSION = re.compile(r'^v?(\d+(?:\.\d+)*\S*)$')


def sha1(data):
    """The SHA-1 ansible.builtin.copy compares (hex), of bytes or text (UTF-8)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    return hashlib.sha1(data).hexdigest()


def block_checksum(block):
    """The checksum of a managed block as ansible.builtin.blockinfile writes it: its lines, joined by newlines
    (a trailing newline of the given text is not a line)."""
    return sha1('\n'.join(block.splitlines()))


def block_in(text, marker):
    """The lines between the BEGIN and END markers of ``marker`` (``{mark}`` in it) in text, joined by newlines;
    None when the file holds no such block (blockinfile looks for the markers as whole lines)."""
    begin, end = marker.replace('{mark}', 'BEGIN'), marker.replace('{mark}', 'END')
    lines = text.splitlines()
    if begin not in lines:
        return None
    start = lines.index(begin) + 1
    if end not in lines[start:]:
        return None
    return '\n'.join(lines[start:start + lines[start:].index(end)])


def block_differs(text, marker, checksum):
    """True when the block of ``marker`` in text (None: no file) is not the wanted one: checksum None means the
    block must be absent."""
    block = block_in(text, marker) if text is not None else None
    if checksum is None:
        return block is not None
    return block is None or sha1(block) != checksum


def file_differs(read, checksum, mode=None):
    """True when a file is missing, or its content or mode is not the wanted one. read: None (missing) or
    {'sha1': ..., 'mode': '0644'}; mode: the wanted octal mode as a string, or None (any)."""
    if read is None:
        return True
    if read['sha1'] != checksum:
        return True
    return mode is not None and int(str(mode), 8) != int(read['mode'], 8)


def short_version(output):
    """The version a `... version --short` printed ('2.40.3'), or None when it printed something else."""
    match = VERSION.match((output or '').strip())
    return match.group(1) if match else None


def plugin_differs(read, version, mode='0755'):
    """True when the Compose plugin binary is missing, does not report the wanted version, or has another mode
    or owner than root. read: None or {'version', 'mode', 'uid'}."""
    if read is None or read.get('version') != version or read.get('uid') != 0:
        return True
    return int(mode, 8) != int(read['mode'], 8)


def plan(packages_missing, files_differ, blocks_differ, users_missing, plugin_outdated, service_enabled,
         want_enabled, engine_running, want_running):
    """The names of what the role must apply, in the order it applies them; empty: the host is as wanted.

    service_enabled None (the service manager could not tell) counts as differing: the service module settles it.
    """
    out = []
    if packages_missing:
        out.append('packages')
    if files_differ:
        out.append('files')
    if blocks_differ:
        out.append('blocks')
    if users_missing:
        out.append('users')
    if plugin_outdated:
        out.append('compose_plugin')
    if want_enabled is not None and service_enabled is not want_enabled:
        out.append('service')
    if want_running is not None and engine_running is not want_running:
        out.append('engine')
    return out
