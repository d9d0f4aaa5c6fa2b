"""The stack role's TLS on a real node: a CA given to the role (stack_tls_ca_cert_file / stack_tls_ca_key_file) makes
the node's certificate for its address, the reference XPipe serves HTTPS with it on 8080, xpipe_health verifies it
from the controller against that CA (tls_version), and a re-run issues nothing new and changes nothing.

A gpt371-node container with an inner Docker engine, reached over SSH (tests/integration/stack_node.py); the images
are shipped from the controller (examples/reference-stack/build.sh, rebuilt when their sources changed).
"""
import datetime
import re

import pytest

from stack_node import reference_play, started_node
from tests.helpers import run_module
from tests.helpers.tls import make_ca


@pytest.fixture
def node(repo_root, tmp_path):
    with started_node(str(tmp_path), 'gpt371-test-stacktls') as n:
        yield n


def _changed(output):
    m = re.search(r'ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0', output)
    assert m, output[-4000:]
    return int(m.group(1))


def test_xpipe_serves_https_with_a_certificate_the_role_issued(node, run_playbook, tmp_path):
    ca_cert, ca_key = make_ca(tmp_path, datetime.datetime.now(datetime.timezone.utc))
    issued = tmp_path / 'issued'
    playbook = tmp_path / 'stack_tls.yml'
    playbook.write_text(reference_play(
        'The XPipe server with TLS', tmp_path / 'images', secret='tls', stack_compose_files=['hosts/xpipe.yml'],
        stack_images=['gpt371-ref-xpipe:0.1'], stack_project_name='gpt371', stack_tls_ca_cert_file=ca_cert,
        stack_tls_ca_key_file=ca_key, stack_tls_dir=str(issued), gpt371_private_v4=node.ip))

    first = run_playbook(str(playbook), inventory=node.inventory, timeout=900)
    assert first.returncode == 0, first.output[-5000:]
    assert (issued / 'tls-cert.pem').exists() and oct((issued / 'tls-key.pem').stat().st_mode & 0o777) == '0o600'
    listing = node.ssh('stat -c "%n %a %U" /opt/gpt371/stacks/gpt371/ca.pem /opt/gpt371/stacks/gpt371/tls-key.pem')
    assert listing.stdout.split() == ['/opt/gpt371/stacks/gpt371/ca.pem', '640', 'root',
                                      '/opt/gpt371/stacks/gpt371/tls-key.pem', '640', 'root'], listing.stdout

    args = dict(url='https://%s:8080/health' % node.ip, api_key='tls-xpipe-key', ca_cert=ca_cert, retries=3,
                delay=1, timeout=30)
    result, rc, _wall = run_module('xpipe_health', args)
    assert rc == 0 and result['ok'], result
    assert result['tls_version'] in ('TLSv1.2', 'TLSv1.3')
    # Plain HTTP on the same port is gone: TLS on every connection.
    plain, _rc, _wall = run_module('xpipe_health', dict(args, url='http://%s:8080/health' % node.ip, retries=0,
                                                        fail_on_error=False))
    assert not plain['ok'], plain
    # Another CA does not verify it: the certificate really is the one the role issued from ca_cert.
    (tmp_path / 'other').mkdir()
    other_cert, _other_key = make_ca(tmp_path / 'other', datetime.datetime.now(datetime.timezone.utc), cn='other')
    other, _rc, _wall = run_module('xpipe_health', dict(args, ca_cert=other_cert, retries=0, fail_on_error=False))
    assert other['reason'] == 'tls_untrusted', other

    again = run_playbook(str(playbook), inventory=node.inventory, timeout=600)
    assert again.returncode == 0, again.output[-5000:]
    assert _changed(again.output) == 0, again.output[-5000:]
    # The re-run read the files once (tls_files_drift) and ran none of tls_files.yml's module tasks.
    assert 'Sign it with the CA' not in again.output and 'Keep the CA certificate' not in again.output

    # A certificate deleted by hand is seen and issued again for the same key.
    key_before = (issued / 'tls-key.pem').read_bytes()
    (issued / 'tls-cert.pem').unlink()
    third = run_playbook(str(playbook), inventory=node.inventory, timeout=600)
    assert third.returncode == 0, third.output[-5000:]
    (signed,) = [part for part in third.output.split('TASK [')[1:] if 'Sign it with the CA]' in part.split('\n')[0]]
    assert '\nchanged: ' in signed, signed
    assert (issued / 'tls-cert.pem').exists() and (issued / 'tls-key.pem').read_bytes() == key_before
