# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tls_files_drift's reading of a host's TLS files on the controller: no reason for files as the stack role's
tls_files.yml leaves them, one naming the file for each thing its modules would change. (That the role's own
files give no reason is tests/integration/test_stack_tls.py's re-run.)"""
import datetime
import ipaddress
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.gpt371.infra.plugins.module_utils import _issued_files

NOW = datetime.datetime.now(datetime.timezone.utc)
SANS = ['DNS:core', 'IP:10.10.0.5']


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert(key, issuer_name, issuer_key, cn, sans):
    alt = [x509.DNSName(s[4:]) if s.startswith('DNS:') else x509.IPAddress(ipaddress.ip_address(s[3:])) for s in sans]
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=9)))
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca(tmp_path, stem='ca'):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, stem)])
    cert = _cert(key, name, key, stem, [])
    path = tmp_path / (stem + '.crt')
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / (stem + '.key')).write_bytes(_pem_key(key))
    return str(path), cert, key


@pytest.fixture
def issued(tmp_path):
    """A directory as tls_files.yml leaves it, and the CA."""
    ca_file, ca_cert, ca_key = _ca(tmp_path)
    directory = tmp_path / 'core'
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o700)
    (directory / 'ca.pem').write_bytes(open(ca_file, 'rb').read())
    key = ec.generate_private_key(ec.SECP256R1())
    (directory / 'tls-key.pem').write_bytes(_pem_key(key))
    (directory / 'tls-cert.pem').write_bytes(
        _cert(key, ca_cert.subject, ca_key, 'core', SANS).public_bytes(serialization.Encoding.PEM))
    for name, mode in (('ca.pem', 0o644), ('tls-key.pem', 0o600), ('tls-cert.pem', 0o644)):
        os.chmod(directory / name, mode)
    return {'directory': str(directory), 'ca_file': ca_file, 'ca_cert': ca_cert, 'ca_key': ca_key, 'key': key,
            'tmp': tmp_path}


def reasons(issued, **changes):
    args = dict(directory=issued['directory'], ca_cert_file=issued['ca_file'], ca_key_file='set',
                common_name='core', sans=SANS)
    args.update(changes)
    return _issued_files.reasons(**args)


def test_files_as_issued_give_no_reason(issued):
    assert reasons(issued) == []
    assert reasons(issued, sans=list(reversed(SANS))) == []  # a set, not an order


def test_a_missing_directory_or_file_is_named(issued, tmp_path):
    assert reasons(issued, directory=str(tmp_path / 'nowhere')) == ['%s is missing' % (tmp_path / 'nowhere')]
    os.remove(os.path.join(issued['directory'], 'tls-cert.pem'))
    assert reasons(issued) == ['%s/tls-cert.pem is missing' % issued['directory']]


def test_modes_are_compared(issued):
    os.chmod(os.path.join(issued['directory'], 'tls-key.pem'), 0o644)
    assert reasons(issued) == ['%s/tls-key.pem has mode 0644, wanted 0600' % issued['directory']]


def test_another_ca_copy_is_named(issued):
    other, _cert_, _key = _ca(issued['tmp'], 'other')
    found = reasons(issued, ca_cert_file=other)
    assert '%s/ca.pem differs from %s' % (issued['directory'], other) in found
    assert '%s/tls-cert.pem is not issued by the CA %s' % (issued['directory'], other) in found


def test_changed_names_are_named(issued):
    found = reasons(issued, sans=SANS + ['IP:192.0.2.7'])
    assert len(found) == 1 and 'holds the names' in found[0] and 'IP:192.0.2.7' in found[0]
    assert reasons(issued, common_name='kespa') == [
        '%s/tls-cert.pem names core, wanted kespa' % issued['directory']]


def test_a_certificate_for_another_key_is_named(issued):
    path = os.path.join(issued['directory'], 'tls-key.pem')
    with open(path, 'wb') as handle:
        handle.write(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    assert reasons(issued) == ['%s/tls-cert.pem is not for the key %s' % (issued['directory'], path)]


def test_a_key_of_another_type_is_named(issued):
    path = os.path.join(issued['directory'], 'tls-key.pem')
    with open(path, 'wb') as handle:
        handle.write(_pem_key(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    assert reasons(issued) == ['%s is not an ECC secp256r1 key' % path]


def test_without_a_ca_key_only_the_ca_copy_counts(issued):
    os.remove(os.path.join(issued['directory'], 'tls-cert.pem'))
    assert reasons(issued, ca_key_file='') == []


def test_an_unreadable_file_is_a_reason_not_an_error(issued):
    with open(os.path.join(issued['directory'], 'tls-cert.pem'), 'w') as handle:
        handle.write('not a certificate')
    found = reasons(issued)
    assert len(found) == 1 and found[0].startswith('unreadable TLS file in %s' % issued['directory'])


def test_a_pair_without_a_ca_must_be_self_signed(tmp_path):
    """pair_reasons with no CA (tls_files_state for the database role's self-signed certificate)."""
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'supabase')])
    key_path, cert_path = tmp_path / 'server.key', tmp_path / 'server.crt'
    key_path.write_bytes(_pem_key(key))
    cert_path.write_bytes(_cert(key, name, key, 'supabase', SANS).public_bytes(serialization.Encoding.PEM))
    assert _issued_files.pair_reasons(str(key_path), str(cert_path), 'secp384r1', 'supabase', SANS) == []

    _ca_file, ca_cert, ca_key = _ca(tmp_path)
    cert_path.write_bytes(_cert(key, ca_cert.subject, ca_key, 'supabase', SANS).public_bytes(serialization.Encoding.PEM))
    assert _issued_files.pair_reasons(str(key_path), str(cert_path), 'secp384r1', 'supabase', SANS) == [
        '%s is not self-signed' % cert_path]
    assert _issued_files.pair_reasons(str(key_path), str(cert_path), 'secp384r1', 'supabase', SANS, ca_cert) == []
    assert _issued_files.pair_reasons(str(key_path), str(cert_path), 'secp256r1', 'supabase', SANS, ca_cert) == [
        '%s is not an ECC secp256r1 key' % key_path]
