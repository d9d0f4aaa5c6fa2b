# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the controller reaches a deployment's servers over SSH, in one place: the bastion hop and pinned host keys.

Used by the inventory plugin gpt371.infra.deployment and the instances role (filter deployment_hosts, module
server_host_keys), so both give every host the same ``ansible_ssh_common_args``:

- through a bastion, ``-o ProxyCommand="ssh -W %h:%p ... user@bastion"``: the hop's own ssh gets the key and the
  known_hosts file on its command line, so no ``ssh -F`` file is needed (OpenSSH's ProxyJump passes no option to
  the hop but ``-F``). Without a key file the hop uses ssh-agent, as an AWX machine credential provides;
- host keys pinned: ``UserKnownHostsFile=<file>`` with ``StrictHostKeyChecking=yes``, for the target and the hop.

The known_hosts file is filled from each server's console log, where cloud-init prints the host keys between
``-----BEGIN SSH HOST KEY KEYS-----`` and ``-----END SSH HOST KEY KEYS-----``. A key that differs from the one
already pinned for an address is never trusted silently (plan_known_hosts).
Pure functions, except console_host_keys (one openstacksdk call per look, bounded).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import shlex
import time

BEGIN_KEYS = '-----BEGIN SSH HOST KEY KEYS-----'
END_KEYS = '-----END SSH HOST KEY KEYS-----'
KEY_TYPES = ('ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384',
             'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com')
# The comment on every line this collection writes: which server the key was read from, and when Nova last
# (re)built its disk (launched_at: set at build, rebuild, evacuate, resize, unshelve, rescue; not by stop/start).
COMMENT_PREFIX = 'gpt371:'
LAUNCHED = 'launched='
ACCEPT_OPTION = 'instances_accept_new_host_keys'


# --- ssh options ---------------------------------------------------------------------------------------------------

def _pct(text):
    """ssh expands %-tokens in ProxyCommand: a literal % in a path must be %%."""
    return str(text).replace('%', '%%')


def host_key_options(known_hosts_file='', host_key_checking=True):
    """ssh -o options of the host key policy: pinned to a file, the user's own files, or off."""
    if not host_key_checking:
        return ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']
    if known_hosts_file:
        return ['-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=' + known_hosts_file]
    return ['-o', 'StrictHostKeyChecking=yes']


def proxy_command(bastion, user='root', key_file='', known_hosts_file='', host_key_checking=True,
                  connect_timeout=10):
    """The ProxyCommand value of a hop through bastion (an address), with its own key and host key policy."""
    argv = ['ssh', '-W', '%h:%p', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=%d' % int(connect_timeout)]
    if key_file:
        argv += ['-i', _pct(key_file), '-o', 'IdentitiesOnly=yes']
    argv += [_pct(a) for a in host_key_options(known_hosts_file, host_key_checking)]
    argv += ['-l', _pct(user), _pct(bastion)]
    return ' '.join(shlex.quote(a) for a in argv)


def ssh_common_args(bastion='', user='root', key_file='', known_hosts_file='', host_key_checking=True, extra=''):
    """ansible_ssh_common_args of one host: the hop through bastion (when given), the host key policy, extra.

    Ansible splits the value with shlex, so the ProxyCommand arrives as one argument."""
    parts = []
    if bastion:
        hop = proxy_command(bastion, user=user, key_file=key_file, known_hosts_file=known_hosts_file,
                            host_key_checking=host_key_checking)
        parts += ['-o', 'ProxyCommand=' + hop]
    parts += host_key_options(known_hosts_file, host_key_checking)
    text = ' '.join(shlex.quote(p) for p in parts)
    return ' '.join(p for p in (text, extra or '') if p)


# --- console log -> host keys --------------------------------------------------------------------------------------

def parse_console_host_keys(text):
    """[(type, base64)] of the last SSH HOST KEY KEYS block of a console log ([] when there is none yet).

    The last block counts: a server that rebooted prints its (same) keys again, and a rebuilt one its new keys."""
    lines = (text or '').splitlines()
    begins = [i for i, line in enumerate(lines) if BEGIN_KEYS in line]
    if not begins:
        return []
    keys = []
    for line in lines[begins[-1] + 1:]:
        if END_KEYS in line:
            return keys
        words = line.split()
        for i, word in enumerate(words[:-1]):
            if word in KEY_TYPES and (word, words[i + 1]) not in keys:
                keys.append((word, words[i + 1]))
                break
    return []  # the block is not complete yet (the console is still being written)


def console_host_keys(fetch, timeout=300, delay=5, clock=time.monotonic, sleep=time.sleep):
    """Poll fetch() (the console text) until it shows the host keys, up to timeout seconds.

    Returns (keys, seconds waited); keys is [] when the time ran out."""
    start = clock()
    while True:
        keys = parse_console_host_keys(fetch())
        if keys or clock() - start >= timeout:
            return keys, round(clock() - start, 1)
        sleep(delay)


# --- known_hosts ---------------------------------------------------------------------------------------------------

def parse_known_hosts(text):
    """[{'hosts': [...], 'type', 'key', 'comment', 'line'}] of the plain entries (hashed and marker lines are kept
    as they are but not matched)."""
    entries = []
    for line in (text or '').splitlines():
        words = line.split()
        if not words or words[0].startswith('#') or words[0].startswith('@') or words[0].startswith('|'):
            entries.append({'hosts': [], 'type': '', 'key': '', 'comment': '', 'line': line})
            continue
        if len(words) < 3:
            entries.append({'hosts': [], 'type': '', 'key': '', 'comment': '', 'line': line})
            continue
        entries.append({'hosts': words[0].split(','), 'type': words[1], 'key': words[2],
                        'comment': ' '.join(words[3:]), 'line': line})
    return entries


def _server_id_of(comment):
    """The server ID of a comment this collection wrote (gpt371:<name>:<id>[ launched=<time>]), else ''."""
    words = comment.split()
    if words and words[0].startswith(COMMENT_PREFIX):
        return words[0].split(':')[-1]
    return ''


def pin_comment(server):
    """The comment of the lines pinned for server ({name, id, launched_at})."""
    comment = '%s%s:%s' % (COMMENT_PREFIX, server.get('name') or '', server.get('id') or '')
    if server.get('launched_at'):
        comment += ' %s%s' % (LAUNCHED, server['launched_at'])
    return comment


def _pinned_with(entries, address, comment):
    """True when address has lines, and every one of them carries comment."""
    comments = [e['comment'] for e in entries if address in e['hosts']]
    return bool(comments) and all(c == comment for c in comments)


def keys_to_read(existing_text, servers):
    """The servers whose console must be read: all but those pinned for every address by a line this collection
    wrote for the same server ID and the same launched_at (its disk, and so its host keys, are the ones pinned).

    A server without launched_at (a cloud that hides it) is always read, as a rebuilt server would be."""
    entries = parse_known_hosts(existing_text)
    return [server for server in servers or []
            if not (server.get('launched_at') and server.get('addresses')
                    and all(_pinned_with(entries, a, pin_comment(server)) for a in server['addresses']))]


ACCEPT_HINT = 're-run with -e %s=true (the role then pins the key the console shows)' % ACCEPT_OPTION


def accept_command(known_hosts_file, addresses, hint=ACCEPT_HINT):
    """What the user runs to trust a server's new key: the switch (hint), or ssh-keygen -R per address."""
    removes = ' && '.join('ssh-keygen -R %s -f %s' % (shlex.quote(a), shlex.quote(known_hosts_file))
                          for a in addresses)
    return '%s, or remove the old key yourself: %s' % (hint, removes)


def plan_known_hosts(existing_text, servers, known_hosts_file='known_hosts', accept_new=False, forget_ids=(),
                     accept_hint=ACCEPT_HINT):
    """The known_hosts file after pinning the console keys of servers, and what differs.

    servers: [{'name', 'id', 'addresses': [...], 'keys': [(type, base64)], 'launched_at'}] (a server with no keys is
    skipped; launched_at is optional). An address whose pinned keys differ from its server's console keys is a
    mismatch: it fails the run unless accept_new, which replaces them. Matching keys pinned with another comment are
    written again with the server's (so keys_to_read knows them), when the server has a launched_at. Lines of
    forget_ids (servers this run deleted) are dropped; every other line (the user's own, other servers') is kept.
    accept_hint: how the caller's user accepts a new key.
    Returns {'text', 'changed', 'added': [address], 'replaced': [address], 'mismatches': [{name, id, address,
    pinned, console, message}]}.
    """
    forget_ids = set(i for i in forget_ids or () if i)
    entries = [e for e in parse_known_hosts(existing_text) if _server_id_of(e['comment']) not in forget_ids]
    added, replaced, mismatches = [], [], []
    drop_addresses = set()
    new_lines = []
    for server in servers or []:
        keys = [tuple(k) for k in server.get('keys') or []]
        if not keys:
            continue
        comment = pin_comment(server)
        for address in [a for a in server.get('addresses') or [] if a]:
            pinned = sorted(set((e['type'], e['key']) for e in entries if address in e['hosts']))
            if pinned and set(pinned) == set(keys):
                # The same keys: written again only to record the launch they were read after.
                if not server.get('launched_at') or _pinned_with(entries, address, comment):
                    continue
            elif pinned and not accept_new:
                message = ('host key of %s (server %s, id %s) differs from the one pinned in %s: the console log '
                           'shows %s, the file pins %s. If %s was re-created or rebuilt, %s. If not, someone '
                           'may be intercepting the connection: do not accept it.'
                           % (address, server.get('name'), server.get('id'), known_hosts_file,
                              ', '.join(t for t, _k in keys), ', '.join(t for t, _k in pinned),
                              server.get('name'), accept_command(known_hosts_file, [address], accept_hint)))
                mismatches.append({'name': server.get('name'), 'id': server.get('id'), 'address': address,
                                   'pinned': [' '.join(p) for p in pinned],
                                   'console': [' '.join(k) for k in keys], 'message': message})
                continue
            else:
                (replaced if pinned else added).append(address)
            drop_addresses.add(address)
            new_lines += ['%s %s %s %s' % (address, t, k, comment) for t, k in keys]
    kept = []
    for entry in entries:
        if entry['hosts'] and drop_addresses.intersection(entry['hosts']):
            rest = [h for h in entry['hosts'] if h not in drop_addresses]
            if not rest:
                continue
            words = [','.join(rest), entry['type'], entry['key']] + ([entry['comment']] if entry['comment'] else [])
            entry = dict(entry, line=' '.join(words))
        kept.append(entry['line'])
    lines = kept + new_lines
    text = '\n'.join(lines) + ('\n' if lines else '')
    return {'text': text, 'changed': text != (existing_text or ''), 'added': added, 'replaced': replaced,
            'mismatches': mismatches}


def read_known_hosts(path):
    """The file's text; '' when it does not exist (or cannot be read): nothing pinned yet."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ''


def write_known_hosts(path, text):
    """Writes the file atomically (mode 0600; a missing directory is made 0700)."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
        handle.write(text)
    os.rename(tmp, path)


# --- network_admin_cidr as a list ----------------------------------------------------------------------------------

def admin_cidrs(value):
    """network_admin_cidr as a list: one CIDR (a string, also comma-separated) or a list of them.

    Returns {'cidrs': [...], 'errors': [...]}; every entry must be a CIDR and none the whole internet."""
    if isinstance(value, str):
        items = [v.strip() for v in value.split(',')]
    elif isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = []
    items = [v for v in items if v]
    errors = []
    if not items:
        errors.append('network_admin_cidr is empty; give the range(s) SSH is admitted from, for example '
                      '-e \'{"network_admin_cidr": ["203.0.113.0/24"]}\'.')
    for item in items:
        try:
            net = ipaddress.ip_network(item, strict=False)
        except ValueError:
            errors.append('network_admin_cidr entry "%s" is not a CIDR; for example 203.0.113.0/24.' % item)
            continue
        if net.prefixlen == 0:
            errors.append('network_admin_cidr entry %s is the whole internet and SSH is a sensitive port; set your '
                          'admin or AWX range, for example 203.0.113.0/24.' % item)
    return {'cidrs': items, 'errors': errors}


def ssh_ingress_rules(value, port=22):
    """The ssh security group's rules: tcp/port from every network_admin_cidr entry (IPv6 ones as IPv6)."""
    rules = []
    for cidr in admin_cidrs(value)['cidrs']:
        rule = {'protocol': 'tcp', 'port_range_min': int(port), 'port_range_max': int(port), 'remote_ip_prefix': cidr}
        if ':' in cidr:
            rule['ether_type'] = 'IPv6'
        rules.append(rule)
    return rules
