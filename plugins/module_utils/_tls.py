# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""TLS for the three probes: the client context, certificate facts, and why a TLS connection fails.

When a library reports a TLS failure, :func:`tls_diagnosis` finds out why with handshakes of its own:
not TLS at all, a protocol older than TLS 1.2, expired or not yet valid (dates first, so an expired
certificate is called expired whatever the trust store), self-signed, unknown CA, host name mismatch.
Messages live in ``TLS_MESSAGES``, keyed by cause; the reason travels beside them, never in them.
A probe imports this module where it needs it (pg_probe only on a TLS failure), since a module's
code is compiled on every run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import socket
import ssl

from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure

UTC = datetime.timezone.utc

# TLS causes, shared by the three probes. Fields: where, host, expiry, validity, names, subject, issuer,
# trust, detail, plain (how to go without TLS for this probe).
TLS_MESSAGES = {
    'tls_expired': ('the TLS certificate of {where} {expiry}',
                    'renew the certificate on {host} and reload the service; trusting it (ca_cert) cannot help'),
    'tls_not_yet_valid': ('the TLS certificate of {where} {validity}',
                          "check the clock of this host and of the server (chrony / systemd-timesyncd): a certificate"
                          ' valid only in the future means one of them is wrong, or it was issued ahead of time'),
    'tls_hostname': ('the TLS certificate of {where} is for {names}, not for {host}',
                     'connect with a name the certificate holds ({names}), or reissue it with {host} in its'
                     ' subjectAltName'),
    'tls_self_signed': ('the TLS certificate of {where} is self-signed ({subject}) and not trusted',
                        'pass that certificate as ca_cert to trust it, or replace it with one your CA signs'),
    'tls_untrusted': ('the TLS certificate of {where} is signed by {issuer}, which {trust} does not hold',
                      'pass as ca_cert the CA bundle (PEM) that holds {issuer}'),
    'tls_not_tls': ('{where} does not speak TLS ({detail})',
                    'use the TLS port of the service or enable TLS on it; {plain} only on a trusted network'),
    'tls_protocol': ('{where} offers {offered}, older than the TLS 1.2 this host requires',
                     'enable TLS 1.2 or 1.3 on the server ({server_setting}); TLS 1.0 and 1.1 are broken and'
                     ' disabled on clients, so do not lower the client minimum'),
    'tls_handshake': ('the TLS handshake with {where} failed: {detail}',
                      'check the TLS versions and ciphers both sides allow, and the client certificate if the'
                      ' server asks for one'),
}

# OpenSSL verify codes (X509_V_ERR_*) -> reason.
VERIFY_CODES = {2: 'tls_untrusted', 9: 'tls_not_yet_valid', 10: 'tls_expired', 18: 'tls_self_signed',
                19: 'tls_untrusted', 20: 'tls_untrusted', 21: 'tls_untrusted', 62: 'tls_hostname',
                64: 'tls_hostname'}
# OpenSSL reasons of a handshake that met something else than TLS (an HTTP server, a PostgreSQL 'N').
NOT_TLS = ('WRONG_VERSION_NUMBER', 'RECORD_LAYER_FAILURE', 'PACKET_LENGTH_TOO_LONG', 'HTTP_REQUEST',
           'UNKNOWN_PROTOCOL')
# OpenSSL reasons of a handshake where the server offers only a version this client refuses (TLS 1.0/1.1).
PROTOCOL_TOO_OLD = ('UNSUPPORTED_PROTOCOL', 'TLSV1_ALERT_PROTOCOL_VERSION', 'NO_PROTOCOLS_AVAILABLE',
                    'WRONG_SSL_VERSION', 'VERSION_TOO_LOW')


class NotTls(Exception):
    """The peer declined TLS before the handshake (a PostgreSQL server answering 'N' to SSLRequest)."""


def tls_context(verify, cafile=None, client_cert=None, client_key=None):
    """The client SSLContext of a probe: the system trust store (or ``cafile``), host name checked, TLS >= 1.2."""
    return _context(verify, cafile, check_hostname=bool(verify),
                    client_cert=(client_cert, client_key) if client_key else client_cert)


# What a request on an HttpConnection may raise for a network or protocol cause (ssl.SSLError is an OSError).


def _context(verify, cafile=None, check_hostname=False, client_cert=None, legacy=False):
    if verify:
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = check_hostname
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if legacy:  # only to learn which old version a server offers, never to talk to it
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
    if isinstance(client_cert, (list, tuple)):
        ctx.load_cert_chain(*client_cert)
    elif client_cert:
        ctx.load_cert_chain(client_cert)
    return ctx


def _handshake(host, port, timeout, ctx, preamble=None, version=False):
    with socket.create_connection((host, port), timeout=timeout) as raw:
        if preamble is not None:
            preamble(raw)
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            if version:
                return tls.version()
            return tls.getpeercert() or {}, tls.getpeercert(binary_form=True)


def _offered_version(host, port, timeout, preamble=None):
    """The TLS version a server settles on when every version is allowed; None when that fails too."""
    try:
        return _handshake(host, port, timeout, _context(False, legacy=True), preamble, version=True)
    except (ssl.SSLError, OSError, ValueError, NotTls):
        return None


def handshake_certificate(host, port, timeout, cafile=None, verify=True, preamble=None):
    """(decoded cert, DER) from a TLS handshake of our own: the fallback of peer_certificate()."""
    return _handshake(host, port, timeout, _context(verify, cafile), preamble)


def certificate_dates(cert, der):
    """(not_before, not_after) as aware datetimes, from the decoded certificate or its DER; None when unknown."""
    if cert and cert.get('notAfter'):
        after = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert['notAfter']), tz=UTC)
        before = (datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert['notBefore']), tz=UTC)
                  if cert.get('notBefore') else None)
        return before, after
    facts = certificate_facts(der) if der else {}
    return facts.get('not_before'), facts.get('not_after')


def certificate_facts(der):
    """Dates, names, subject and issuer of a DER certificate; {} without the cryptography library."""
    try:
        from cryptography import x509
    except ImportError:
        return {}
    cert = x509.load_der_x509_certificate(der)
    before = getattr(cert, 'not_valid_before_utc', None) or cert.not_valid_before.replace(tzinfo=UTC)
    after = getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after.replace(tzinfo=UTC)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    return {'not_before': before, 'not_after': after, 'names': names,
            'subject': cert.subject.rfc4514_string(), 'issuer': cert.issuer.rfc4514_string(),
            'self_issued': cert.subject == cert.issuer}


def days_until_expiry(cert, der, now=None):
    """Whole days until a certificate expires, rounded toward zero (-3 three days after); None when unknown.

    Whole days, so a certificate that expired 3 days and 1 hour ago gives -3 (not -4) and one that
    expires in 30 days and 1 hour gives 30. Whether it has expired is a question for the timestamps
    (see expiry_text), not for this count, which is 0 on both sides of the moment of expiry.
    """
    _before, expires = certificate_dates(cert, der)
    if expires is None:
        return None
    now = now or datetime.datetime.now(UTC)
    return int((expires - now).total_seconds() / 86400)


def _days(seconds):
    days = int(abs(seconds) // 86400)
    if days == 0:
        return 'less than a day'
    return '%d day%s' % (days, '' if days == 1 else 's')


def _when(moment):
    return moment.strftime('%Y-%m-%d %H:%M UTC')


def expiry_text(not_after, now=None):
    """'expired on 2026-01-01 00:00 UTC, 3 days ago' (counting whole days elapsed)."""
    if not_after is None:
        return 'has expired'
    now = now or datetime.datetime.now(UTC)
    return 'expired on %s, %s ago' % (_when(not_after), _days((now - not_after).total_seconds()))


def validity_text(not_before, now=None):
    """'is not valid before 2026-01-05 00:00 UTC (in 3 days)'."""
    if not_before is None:
        return 'is not valid yet'
    now = now or datetime.datetime.now(UTC)
    return 'is not valid before %s (in %s)' % (_when(not_before), _days((not_before - now).total_seconds()))


def _verify_code(exc):
    return getattr(exc, 'verify_code', None)


def tls_diagnosis(host, port, timeout, verify=True, cafile=None, check_hostname=True, client_cert=None,
                  preamble=None, now=None):
    """Why a TLS connection to host:port fails, found with handshakes of our own.

    Returns a dict with ``reason`` (a tls_* reason) and the facts its message needs, or None when
    the cause is not TLS or cannot be reproduced. Order: not TLS, then the dates (an expired
    certificate is expired whatever ca_cert holds), then the chain against ``cafile`` (self-signed,
    unknown CA), then the host name. ``verify=False`` stops after the first handshake, as a client
    that does not verify would. ``preamble(sock)`` runs before the handshake (PostgreSQL's SSLRequest).
    """
    facts = {'host': host, 'names': [], 'subject': '', 'issuer': 'an unknown issuer', 'detail': ''}
    try:
        _cert, der = _handshake(host, port, timeout, _context(False, client_cert=client_cert), preamble)
    except NotTls as exc:
        return dict(facts, reason='tls_not_tls', detail=str(exc))
    except ssl.SSLError as exc:
        code = getattr(exc, 'reason', None)
        if code in PROTOCOL_TOO_OLD:
            offered = _offered_version(host, port, timeout, preamble)
            return dict(facts, reason='tls_protocol', offered=offered or 'only a TLS version', detail=code)
        reason = 'tls_not_tls' if code in NOT_TLS else 'tls_handshake'
        return dict(facts, reason=reason, detail=code or str(exc))
    except (OSError, ValueError):
        return None
    facts.update(certificate_facts(der))
    now = now or datetime.datetime.now(UTC)
    if facts.get('not_after') and now > facts['not_after']:
        return dict(facts, reason='tls_expired')
    if facts.get('not_before') and now < facts['not_before']:
        return dict(facts, reason='tls_not_yet_valid')
    if not verify:
        return None
    for hostname in (False, True) if check_hostname else (False,):
        try:
            cert, _der = _handshake(host, port, timeout, _context(True, cafile, hostname, client_cert), preamble)
        except ssl.SSLCertVerificationError as exc:
            reason = VERIFY_CODES.get(_verify_code(exc), 'tls_hostname' if hostname else 'tls_untrusted')
            if reason == 'tls_untrusted' and facts.get('self_issued'):
                reason = 'tls_self_signed'
            return dict(facts, reason=reason, detail=getattr(exc, 'verify_message', '') or str(exc))
        except (ssl.SSLError, OSError, ValueError, NotTls):
            return None
        if not facts.get('names'):
            facts['names'] = [v for k, v in cert.get('subjectAltName', ()) if k in ('DNS', 'IP Address')]
    return None


def tls_failure(diagnosis, where, cafile, plain, fallback_detail='', server_setting='its TLS settings'):
    """ProbeFailure from a tls_diagnosis() result (None: a generic tls_handshake with the library's words).

    ``plain`` says how to go without TLS for this probe; ``server_setting`` names where the server sets its
    TLS versions (for tls_protocol).
    """
    if diagnosis is None:
        diagnosis = {'reason': 'tls_handshake', 'host': where, 'names': [], 'subject': '', 'issuer': '',
                     'detail': fallback_detail}
    reason = diagnosis['reason']
    fields = dict(
        where=where, host=diagnosis['host'], detail=diagnosis.get('detail') or fallback_detail, plain=plain,
        expiry=expiry_text(diagnosis.get('not_after')), validity=validity_text(diagnosis.get('not_before')),
        names=', '.join(diagnosis.get('names') or []) or 'other names', subject=diagnosis.get('subject') or '?',
        issuer=diagnosis.get('issuer') or 'an unknown issuer',
        trust='ca_cert %s' % cafile if cafile else 'the system CA store',
        offered=diagnosis.get('offered') or 'an old TLS version', server_setting=server_setting)
    cause, fix = TLS_MESSAGES[reason]
    return ProbeFailure(reason, cause.format(**fields), fix.format(**fields), detail=fields['detail'] or None)
