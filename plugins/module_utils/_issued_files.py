# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Are a host's TLS files on the controller as the stack role's tls.yml would leave them? One read of the files,
so that a run with nothing to change calls none of the file, copy and community.crypto modules (one module run
each per host). Each reason names what those modules would change; any reason and the role runs them all (their
own checks decide then). Reads only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - the lookup then names the library as the reason
    HAS_CRYPTOGRAPHY = False


def _mode_reason(path, mode):
    found = stat.S_IMODE(os.stat(path).st_mode)
    return [] if found == mode else ['%s has mode %04o, wanted %04o' % (path, found, mode)]


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read()


def _names(cert):
    """The certificate's subject alternative names as community.crypto writes them (DNS:x, IP:y)."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return set(['DNS:' + name for name in sans.get_values_for_type(x509.DNSName)]
               + ['IP:' + str(ip) for ip in sans.get_values_for_type(x509.IPAddress)])


def _common_name(cert):
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return names[0].value if names else None


def _issued_reasons(directory, ca_cert_file, common_name, sans):
    key_path, cert_path = os.path.join(directory, 'tls-key.pem'), os.path.join(directory, 'tls-cert.pem')
    for path in (key_path, cert_path):
        if not os.path.isfile(path):
            return ['%s is missing' % path]
    reasons = _mode_reason(key_path, 0o600) + _mode_reason(cert_path, 0o644)
    key = serialization.load_pem_private_key(_read(key_path), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != 'secp256r1':
        return reasons + ['%s is not an ECC secp256r1 key' % key_path]
    cert = x509.load_pem_x509_certificate(_read(cert_path))
    ca = x509.load_pem_x509_certificate(_read(ca_cert_file))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(serialization.Encoding.DER, public) != \
            key.public_key().public_bytes(serialization.Encoding.DER, public):
        reasons.append('%s is not for the key %s' % (cert_path, key_path))
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        reasons.append('%s is not issued by the CA %s' % (cert_path, ca_cert_file))
    if _common_name(cert) != common_name:
        reasons.append('%s names %s, wanted %s' % (cert_path, _common_name(cert), common_name))
    if _names(cert) != set(sans):
        reasons.append('%s holds the names %s, wanted %s' % (cert_path, sorted(_names(cert)), sorted(set(sans))))
    return reasons


def reasons(directory, ca_cert_file, ca_key_file='', common_name='', sans=()):
    """Why tls.yml would change something in ``directory``: [] when it would not."""
    if not HAS_CRYPTOGRAPHY:
        return ['the Python library cryptography is missing on the controller']
    if not os.path.isdir(directory):
        return ['%s is missing' % directory]
    found = _mode_reason(directory, 0o700)
    ca_copy = os.path.join(directory, 'ca.pem')
    if not os.path.isfile(ca_copy):
        return found + ['%s is missing' % ca_copy]
    found += _mode_reason(ca_copy, 0o644)
    if _read(ca_copy) != _read(ca_cert_file):
        found.append('%s differs from %s' % (ca_copy, ca_cert_file))
    if ca_key_file:
        try:
            found += _issued_reasons(directory, ca_cert_file, common_name, sans)
        except ValueError as exc:  # a file that does not parse: the modules replace it
            found.append('unreadable TLS file in %s (%s)' % (directory, exc))
    return found
