"""module_utils/_ssh_access.py: the bastion hop without -F, host keys from the console, known_hosts pinning."""
import shlex

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _ssh_access as sa

ED = ('ssh-ed25519', 'AAAAC3NzaC1lZDI1NTE5AAAAIOld')
ED_NEW = ('ssh-ed25519', 'AAAAC3NzaC1lZDI1NTE5AAAAINew')
RSA = ('ssh-rsa', 'AAAAB3NzaC1yc2EAAAADAQABAAAB')

CONSOLE = '''[   12.3] cloud-init[512]: Cloud-init v. 23.1 running 'modules:final'
-----BEGIN SSH HOST KEY FINGERPRINTS-----
256 SHA256:abc root@core (ED25519)
-----END SSH HOST KEY FINGERPRINTS-----
-----BEGIN SSH HOST KEY KEYS-----
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld root@core
ec2: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAB root@core
-----END SSH HOST KEY KEYS-----
'''


def test_console_keys_from_the_last_complete_block():
    assert sa.parse_console_host_keys(CONSOLE) == [ED, RSA]
    rebuilt = CONSOLE + '-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519 %s root@core\n' % ED_NEW[1]
    assert sa.parse_console_host_keys(rebuilt) == []  # the newest block is still being written
    assert sa.parse_console_host_keys(rebuilt + sa.END_KEYS + '\n') == [ED_NEW]
    assert sa.parse_console_host_keys('booting...\n') == []
    assert sa.parse_console_host_keys(None) == []


def test_console_wait_is_bounded():
    now = [0.0]
    looks = iter(['', 'still booting', CONSOLE])

    def sleep(seconds):
        now[0] += seconds
    keys, waited = sa.console_host_keys(lambda: next(looks), timeout=60, delay=5, clock=lambda: now[0],
                                        sleep=sleep)
    assert keys == [ED, RSA] and waited == 10.0
    keys, waited = sa.console_host_keys(lambda: '', timeout=12, delay=5, clock=lambda: now[0], sleep=sleep)
    assert keys == [] and 12 <= waited < 20


def test_the_hop_carries_key_and_known_hosts_without_an_ssh_config():
    args = shlex.split(sa.ssh_common_args(bastion='203.0.113.7', user='ubuntu', key_file='/st/my key%1',
                                          known_hosts_file='/st/kh'))
    assert args[0] == '-o' and args[1].startswith('ProxyCommand=')
    hop = shlex.split(args[1][len('ProxyCommand='):])
    assert hop[:3] == ['ssh', '-W', '%h:%p']
    assert hop[hop.index('-i') + 1] == '/st/my key%%1'  # ssh expands % tokens in ProxyCommand
    assert 'StrictHostKeyChecking=yes' in hop and 'UserKnownHostsFile=/st/kh' in hop
    assert hop[-3:] == ['-l', 'ubuntu', '203.0.113.7'] and 'BatchMode=yes' in hop
    assert args[2:] == ['-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/st/kh']


def test_agent_only_and_checking_off():
    hop = sa.proxy_command('198.51.100.4')
    assert '-i' not in shlex.split(hop) and 'IdentitiesOnly' not in hop
    off = sa.ssh_common_args(host_key_checking=False, known_hosts_file='/ignored')
    assert off == '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
    assert sa.ssh_common_args() == '-o StrictHostKeyChecking=yes'


def server(name, sid, addresses, keys):
    return {'name': name, 'id': sid, 'addresses': addresses, 'keys': keys}


def test_new_servers_are_pinned_for_every_address_and_user_lines_kept():
    existing = '# mine\ngit.example.org ssh-ed25519 AAAAuser\n'
    plan = sa.plan_known_hosts(existing, [server('p-core', 'id1', ['10.0.0.2', '203.0.113.7'], [ED]),
                                          server('p-xpipe', 'id2', ['10.0.0.3'], [ED_NEW, RSA])])
    assert plan['changed'] and plan['mismatches'] == [] and plan['replaced'] == []
    assert plan['added'] == ['10.0.0.2', '203.0.113.7', '10.0.0.3']
    lines = plan['text'].splitlines()
    assert lines[:2] == ['# mine', 'git.example.org ssh-ed25519 AAAAuser']
    assert '10.0.0.2 %s %s gpt371:p-core:id1' % ED in lines
    assert '10.0.0.3 %s %s gpt371:p-xpipe:id2' % RSA in lines
    again = sa.plan_known_hosts(plan['text'], [server('p-core', 'id1', ['10.0.0.2', '203.0.113.7'], [ED])])
    assert not again['changed'] and again['added'] == [] and again['text'] == plan['text']


def test_a_changed_key_is_named_with_the_fix_and_never_trusted_silently():
    pinned = sa.plan_known_hosts('', [server('p-xpipe', 'old', ['10.0.0.3'], [ED])])['text']
    plan = sa.plan_known_hosts(pinned, [server('p-xpipe', 'new', ['10.0.0.3'], [ED_NEW])],
                               known_hosts_file='/st/p_known_hosts')
    (miss,) = plan['mismatches']
    assert (miss['name'], miss['id'], miss['address']) == ('p-xpipe', 'new', '10.0.0.3')
    assert miss['pinned'] == [' '.join(ED)] and miss['console'] == [' '.join(ED_NEW)]
    assert '-e instances_accept_new_host_keys=true' in miss['message']
    assert 'ssh-keygen -R 10.0.0.3 -f /st/p_known_hosts' in miss['message']
    assert ED_NEW[1] not in plan['text'] and ED[1] in plan['text']  # nothing replaced
    hinted = sa.plan_known_hosts(pinned, [server('p-xpipe', 'new', ['10.0.0.3'], [ED_NEW])], accept_hint='run X')
    assert 'run X, or remove the old key yourself: ssh-keygen -R 10.0.0.3' in hinted['mismatches'][0]['message']
    accepted = sa.plan_known_hosts(pinned, [server('p-xpipe', 'new', ['10.0.0.3'], [ED_NEW])], accept_new=True)
    assert accepted['mismatches'] == [] and accepted['replaced'] == ['10.0.0.3']
    assert ED[1] not in accepted['text'] and '10.0.0.3 %s %s gpt371:p-xpipe:new' % ED_NEW in accepted['text']


def test_deleted_servers_are_forgotten_and_shared_lines_split():
    pinned = sa.plan_known_hosts('', [server('p-agent-server-3', 'gone', ['10.0.0.9'], [ED])])['text']
    plan = sa.plan_known_hosts(pinned, [server('p-agent-server-3', 'fresh', ['10.0.0.9'], [ED_NEW])],
                               forget_ids=['gone'])
    assert plan['mismatches'] == [] and plan['added'] == ['10.0.0.9'] and ED[1] not in plan['text']
    shared = '10.0.0.4,10.0.0.5 %s %s\n' % ED
    split = sa.plan_known_hosts(shared, [server('p-kespa', 'k', ['10.0.0.5'], [ED])])
    assert not split['changed']
    moved = sa.plan_known_hosts(shared, [server('p-kespa', 'k', ['10.0.0.5'], [ED_NEW])], accept_new=True)
    assert moved['text'].splitlines()[0] == '10.0.0.4 %s %s' % ED


def test_a_server_without_console_keys_changes_nothing():
    plan = sa.plan_known_hosts('', [server('p-core', 'a', ['10.0.0.2'], [])])
    assert plan == {'text': '', 'changed': False, 'added': [], 'replaced': [], 'mismatches': []}


@pytest.mark.parametrize('value, cidrs, error', [
    ('10.10.0.0/24', ['10.10.0.0/24'], None),
    ('10.10.0.0/24, 172.24.4.0/24', ['10.10.0.0/24', '172.24.4.0/24'], None),
    (['10.10.0.0/24', '2001:db8::/64'], ['10.10.0.0/24', '2001:db8::/64'], None),
    ([], [], 'is empty'),
    (['10.10.0.0/24', 'office'], ['10.10.0.0/24', 'office'], 'entry "office" is not a CIDR'),
    (['0.0.0.0/0'], ['0.0.0.0/0'], 'whole internet'),
])
def test_admin_cidrs_takes_a_string_or_a_list(value, cidrs, error):
    found = sa.admin_cidrs(value)
    assert found['cidrs'] == cidrs
    if error is None:
        assert found['errors'] == []
    else:
        (message,) = found['errors']
        assert error in message and 'network_admin_cidr' in message


def test_ssh_ingress_rules_one_per_cidr():
    assert sa.ssh_ingress_rules(['10.10.0.0/24', '2001:db8::/64']) == [
        {'protocol': 'tcp', 'port_range_min': 22, 'port_range_max': 22, 'remote_ip_prefix': '10.10.0.0/24'},
        {'protocol': 'tcp', 'port_range_min': 22, 'port_range_max': 22, 'remote_ip_prefix': '2001:db8::/64',
         'ether_type': 'IPv6'}]


def test_write_known_hosts_is_private_and_atomic(tmp_path):
    path = tmp_path / 'state' / 'p_known_hosts'
    sa.write_known_hosts(str(path), '10.0.0.2 %s %s\n' % ED)
    assert path.read_text() == '10.0.0.2 %s %s\n' % ED
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    sa.write_known_hosts(str(path), '')
    assert path.read_text() == '' and [p.name for p in path.parent.iterdir()] == ['p_known_hosts']


LAUNCH = '2026-12-05T10:00:00.000000'


def launched(name, sid, addresses, keys, at=LAUNCH):
    return dict(server(name, sid, addresses, keys), launched_at=at)


def test_a_server_pinned_with_its_launch_is_not_read_again_until_nova_builds_its_disk_again():
    core = launched('p-core', 'id1', ['10.0.0.2', '203.0.113.7'], [ED])
    xpipe = launched('p-xpipe', 'id2', ['10.0.0.3'], [RSA])
    assert sa.keys_to_read('', [core, xpipe]) == [core, xpipe]  # nothing pinned yet
    text = sa.plan_known_hosts('', [core, xpipe])['text']
    assert '10.0.0.2 %s %s gpt371:p-core:id1 launched=%s' % (ED + (LAUNCH,)) in text.splitlines()
    assert sa.keys_to_read(text, [core, xpipe]) == []  # a no-op run reads no console
    rebuilt = dict(xpipe, launched_at='2026-12-05T11:30:00.000000')  # rebuild, evacuate, resize: a new disk
    assert sa.keys_to_read(text, [core, rebuilt]) == [rebuilt]
    recreated = dict(xpipe, id='id3')  # a new server at the same address
    assert sa.keys_to_read(text, [core, recreated]) == [recreated]
    moved = dict(core, addresses=['10.0.0.2', '203.0.113.8'])  # a new floating IP: not pinned there yet
    assert sa.keys_to_read(text, [moved]) == [moved]
    hidden = dict(core, launched_at='')  # a cloud that does not show launched_at: always read
    assert sa.keys_to_read(text, [hidden]) == [hidden]
    # The rebuilt server's new key is still a mismatch, named with its fix (the read is what finds it).
    plan = sa.plan_known_hosts(text, [dict(rebuilt, keys=[ED_NEW])])
    assert [m['address'] for m in plan['mismatches']] == ['10.0.0.3']


def test_keys_pinned_before_launches_were_recorded_are_labelled_once_and_user_lines_still_count():
    old = sa.plan_known_hosts('# mine\n', [server('p-core', 'id1', ['10.0.0.2'], [ED])])['text']
    core = launched('p-core', 'id1', ['10.0.0.2'], [ED])
    assert sa.keys_to_read(old, [core]) == [core]
    plan = sa.plan_known_hosts(old, [core])
    assert plan['changed'] and plan['added'] == [] and plan['replaced'] == [] and plan['mismatches'] == []
    assert plan['text'] == '# mine\n10.0.0.2 %s %s gpt371:p-core:id1 launched=%s\n' % (ED + (LAUNCH,))
    assert sa.keys_to_read(plan['text'], [core]) == []
    assert not sa.plan_known_hosts(plan['text'], [core])['changed']
    # A line of the user's own for the address (no comment of ours) keeps the server read every run.
    mixed = plan['text'] + '10.0.0.2 %s %s\n' % RSA
    assert sa.keys_to_read(mixed, [core]) == [core]
    # Forgetting a deleted server still finds its lines by the ID in the new comment.
    forgot = sa.plan_known_hosts(plan['text'], [], forget_ids=['id1'])
    assert forgot['text'] == '# mine\n'
