"""The deployment inventory's host key lines: what travels with an inventory to a job that lacks the file."""
from ansible_collections.gpt371.infra.plugins.inventory.deployment import InventoryModule


def test_the_pinned_lines_are_the_files_host_key_entries(tmp_path):
    known_hosts = tmp_path / 'd_known_hosts'
    known_hosts.write_text('# pinned by gpt371.infra\n'
                           '10.0.0.5,203.0.113.7 ssh-ed25519 AAAAC3Nza gpt371:d-core:1234\n'
                           '\n'
                           '10.0.0.6 ecdsa-sha2-nistp256 AAAAE2Vj gpt371:d-xpipe:5678\n')
    assert InventoryModule._pinned_lines(str(known_hosts)) == [
        '10.0.0.5,203.0.113.7 ssh-ed25519 AAAAC3Nza gpt371:d-core:1234',
        '10.0.0.6 ecdsa-sha2-nistp256 AAAAE2Vj gpt371:d-xpipe:5678']


def test_no_file_no_lines(tmp_path):
    assert InventoryModule._pinned_lines(str(tmp_path / 'missing')) == []
