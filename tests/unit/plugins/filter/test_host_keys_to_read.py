"""filter host_keys_to_read: only servers built since their keys were pinned have their consoles read."""
from ansible_collections.gpt371.infra.plugins.filter.host_keys_to_read import FilterModule
from ansible_collections.gpt371.infra.plugins.module_utils._ssh_access import plan_known_hosts

host_keys_to_read = FilterModule().filters()['host_keys_to_read']

CORE = {'name': 'p-core', 'id': 'a', 'addresses': ['10.0.0.2'], 'launched_at': '2026-12-05T10:00:00.000000'}
KEY = ('ssh-ed25519', 'AAAAC3NzaC1lZDI1NTE5AAAAIOld')


def test_no_file_yet_reads_every_server_and_a_pinned_one_none():
    assert host_keys_to_read([CORE], None) == [CORE]  # lookup('file', errors='ignore') of a missing file
    assert host_keys_to_read(None, '') == []
    pinned = plan_known_hosts('', [dict(CORE, keys=[KEY])])['text']
    assert host_keys_to_read([CORE], pinned) == []
    assert host_keys_to_read([dict(CORE, launched_at='2026-12-05T12:00:00.000000')], pinned) != []
