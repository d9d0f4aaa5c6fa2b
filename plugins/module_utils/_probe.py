# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Shared plumbing of the integration probes.

A probe module declares its options, a ``validate()`` of its own options and a ``run()`` that
performs named checks. This base owns what every probe needs: the common options (retries,
backoff, overall deadline, fail_on_error), timing, the result shape, retries of transient
failures, a watchdog that holds every attempt to the deadline, and one failure path whose result
carries a machine ``reason`` and whose message names the failing check, the cause and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket
import sys
import threading
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.parsing.convert_bool import boolean

# Every reason a probe failure can carry, with its meaning. doc_fragments/probe.py documents the same
# list (a unit test keeps the two equal); _diagnose.py decides on these, never on the wording of a message.
REASONS = {
    'auth': 'the service rejected the credentials (password, keys, API key, user)',
    'clock': "this host's clock differs too much from the service's",
    'config': 'an option is invalid; found before any network call, never retried',
    'denied': 'authenticated, but not allowed (privileges, bucket policy, pg_hba.conf, HTTP 403)',
    'dependency': 'a Python library the probe needs is missing on the host',
    'dns': 'the host name does not resolve',
    'error': 'none of the others: see cause and the check detail',
    'not_found': 'the database, bucket, extension, table or URL path does not exist',
    'protocol': 'something answered, but not the way the service does (not JSON, unexpected status)',
    'refused': 'the connection was refused: nothing listens on the port',
    'timeout': 'no answer within the time left of the deadline',
    'tls_expired': 'the server certificate has expired',
    'tls_handshake': 'the TLS handshake failed for another cause (versions, ciphers, client certificate)',
    'tls_hostname': 'the server certificate is not valid for the host name or address used',
    'tls_not_tls': 'the server does not speak TLS on that port',
    'tls_not_yet_valid': 'the server certificate is not valid yet (a clock is wrong)',
    'tls_protocol': 'the server offers only a TLS version older than 1.2, which this host refuses',
    'tls_self_signed': 'the server certificate is self-signed and not trusted',
    'tls_untrusted': 'the server certificate is signed by a CA the trust store (ca_cert) does not hold',
    'unhealthy': 'the service answers but reports a failure (HTTP 5xx, starting up, degraded body)',
    'unreachable': 'no route to the host, or the connection was dropped',
    'version': 'a component is older than required',
}
# Causes a later attempt may not meet; everything else fails at once. 'dns' is retried only when the
# resolver says the failure is temporary (see ProbeFailure's retryable).
TRANSIENT = frozenset(('refused', 'unreachable', 'timeout', 'unhealthy'))
OPTIONS_CHECK = 'options'
# The base's own words, keyed like the probes' tables (the words may change; the reasons may not).
MESSAGES = {
    'invalid': ('option {name} is invalid ({value!r}): it must be {valid}', 'set {name} to {valid}{example}'),
    'timeout': ('no answer from {target} within {waited:.1f} s',
                'check the service runs and a security group or firewall lets this host reach {target}'),
    'deadline': ('{cause} (all that was left of timeout={timeout:g} s)',
                 'stopped at the deadline after {waited:.1f} s in this check'),
    'arguments': ('{msg}', 'correct the option named in the message (ansible-doc gpt371.infra.{module})'),
}
# Time kept after the deadline for cleanup (closing connections, removing a probe object).
CLEANUP_GRACE = 0.5
# Time kept before the deadline for reporting and for the interpreter to exit, so the task ends in time.
EXIT_RESERVE = 0.25


def probe_argument_spec():
    """Options shared by every probe (documented in doc_fragments/probe.py)."""
    return dict(
        retries=dict(type='int', default=2),
        delay=dict(type='float', default=1.0),
        backoff=dict(type='float', default=2.0),
        timeout=dict(type='float', default=30.0),
        fail_on_error=dict(type='bool', default=True),
    )


class ProbeFailure(Exception):
    """A check failed: ``reason`` for machines (one of REASONS), ``cause`` and ``fix`` in plain words.

    ``retryable`` defaults to whether the reason is transient (TRANSIENT); a caller may say otherwise
    for a failure it knows more about (a temporary DNS failure).
    """

    def __init__(self, reason, cause, fix, retryable=None, detail=None):
        if reason not in REASONS:
            raise ValueError('unknown probe failure reason %r' % (reason,))
        super(ProbeFailure, self).__init__(cause)
        self.reason = reason
        self.cause = cause
        self.fix = fix
        self.retryable = reason in TRANSIENT if retryable is None else bool(retryable)
        self.detail = detail or cause
        self.check = None


def invalid_option(name, value, valid, example=None):
    """A ``config`` failure that names the option, what it got and the valid form."""
    cause, fix = MESSAGES['invalid']
    fields = dict(name=name, value=value, valid=valid, example=' (e.g. %s)' % example if example else '')
    return ProbeFailure('config', cause.format(**fields), fix.format(**fields), retryable=False)


def check_port(name, value):
    """Raise a config failure unless ``value`` is a TCP port number."""
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise invalid_option(name, value, 'an integer from 1 to 65535', '5432')


def check_file(name, path, pem=False):
    """Raise a config failure unless ``path`` is a readable file (holding a PEM certificate when ``pem``)."""
    if path is None:
        return
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise invalid_option(name, path, 'the path of a readable file on the host that runs the probe')
    if pem:
        with open(path, 'rb') as handle:
            if b'-----BEGIN CERTIFICATE-----' not in handle.read(1024 * 1024):
                raise invalid_option(name, path, 'a PEM file holding at least one certificate'
                                     ' (-----BEGIN CERTIFICATE-----)')


def exception_chain(exc):
    """``exc`` and every exception it wraps (__cause__, __context__, urllib3's reason, botocore's error)."""
    seen, todo = [], [exc]
    while todo:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        kwargs = getattr(item, 'kwargs', None)
        todo.extend([item.__cause__, item.__context__, getattr(item, 'reason', None),
                     kwargs.get('error') if isinstance(kwargs, dict) else None])
        todo.extend(a for a in getattr(item, 'args', ()) if isinstance(a, BaseException))
    return seen


def network_reason(exc):
    """(reason, retryable) of a socket-level failure anywhere in the chain of ``exc``, or (None, False).

    Decided by exception types and errno, not by the words of a message. 'tls' means an ssl error
    whose cause the caller works out with a handshake of its own.
    """
    chain = exception_chain(exc)
    for item in chain:
        if isinstance(item, socket.gaierror):
            return 'dns', item.errno == getattr(socket, 'EAI_AGAIN', -3)
    for item in chain:
        if isinstance(item, ConnectionRefusedError) or getattr(item, 'errno', None) == errno.ECONNREFUSED:
            return 'refused', True
    for item in chain:
        if getattr(item, 'errno', None) in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
            return 'unreachable', True
    for item in chain:
        if isinstance(item, (socket.timeout, TimeoutError)) or getattr(item, 'errno', None) == errno.ETIMEDOUT:
            return 'timeout', True
    ssl = sys.modules.get('ssl')  # not imported by this module: without ssl loaded, no ssl error exists
    for item in chain:
        if ssl is not None and isinstance(item, ssl.SSLError):
            return 'tls', False
    for item in chain:
        if isinstance(item, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            return 'unreachable', True
    return None, False


def process_age():
    """Seconds since this process started (Linux), so the deadline counts interpreter start and imports."""
    try:
        with open('/proc/self/stat') as handle:
            start_ticks = int(handle.read().rsplit(')', 1)[1].split()[19])
        with open('/proc/uptime') as handle:
            uptime = float(handle.read().split()[0])
        age = uptime - start_ticks / float(os.sysconf('SC_CLK_TCK'))
    except (OSError, ValueError, IndexError):
        return 0.0
    # A module process is fresh; an old one (a test runner) has not spent its age on this probe.
    return age if 0.0 <= age < 10.0 else 0.0


class Deadline:
    """Overall time budget of one module run, shared by all attempts; ``already`` seconds are spent."""

    def __init__(self, seconds, already=0.0):
        self.seconds = seconds
        self.start = time.monotonic() - already

    def elapsed(self):
        return time.monotonic() - self.start

    def remaining(self):
        return max(0.0, self.seconds - self.elapsed())

    def expired(self):
        return self.remaining() <= 0.0

    def bound(self, seconds, floor=0.1):
        """A per-operation timeout that never outlives the deadline."""
        return max(floor, min(float(seconds), self.remaining()))


def elapsed_ms(since):
    return int(round((time.monotonic() - since) * 1000))


class _CheckRecorder:
    """Context manager that times one check and records its outcome in the attempt it started in."""

    def __init__(self, probe, name):
        self.probe = probe
        self.name = name
        self.detail = ''
        self.start = None
        self.records = None

    def __enter__(self):
        self.start = time.monotonic()
        self.records = self.probe.checks  # a watchdog may start a new list; this attempt keeps its own
        self.probe.current = (self.name, self.start)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._record(True, self.detail)
            return False
        failure = exc if isinstance(exc, ProbeFailure) else self.probe.explain(self.name, exc)
        if failure is None:  # not a cause the module knows: the traceback path handles it
            return False
        failure.check = failure.check or self.name
        self._record(False, failure.detail, failure.reason)
        if failure is exc:
            return False
        raise failure

    def elapsed(self):
        """Seconds since the check began."""
        return time.monotonic() - self.start

    def _record(self, ok, detail, reason=None):
        entry = dict(name=self.name, ok=ok, detail=self.probe.scrub(detail), elapsed_ms=elapsed_ms(self.start))
        if not ok:
            entry['reason'] = reason
        self.records.append(entry)
        self.probe.current = None


class _ProbeAnsibleModule(AnsibleModule):
    """AnsibleModule whose argument errors come back in the probe's result shape, with reason ``config``."""

    validating = True

    def fail_json(self, msg, **kwargs):
        if not self.validating:
            return super(_ProbeAnsibleModule, self).fail_json(msg=msg, **kwargs)
        self.validating = False
        cause, fix = MESSAGES['arguments']
        fields = dict(msg=msg, module=str(self._name).rsplit('.', 1)[-1])
        result = dict(changed=False, ok=False, attempts=1, elapsed_ms=0, failed_check=OPTIONS_CHECK,
                      reason='config', cause=cause.format(**fields), fix=fix.format(**fields),
                      checks=[dict(name=OPTIONS_CHECK, ok=False, reason='config', detail=msg, elapsed_ms=0)])
        result.update(kwargs)
        try:
            report = not boolean(self.params.get('fail_on_error', True), strict=False)
        except (TypeError, ValueError, AttributeError):
            report = False
        if report:
            return self.exit_json(msg=msg, **result)
        return super(_ProbeAnsibleModule, self).fail_json(msg=msg, **result)


class ProbeModule:
    """Base class: subclasses set ``argument_spec``, ``module_kwargs`` and implement ``run()``.

    ``run()`` calls ``with self.check('name') as c: ...; c.detail = '...'`` for each check, raises
    :class:`ProbeFailure` on a failure, and stores extra return values in ``self.results``.
    ``validate()`` raises a ``config`` failure (see :func:`invalid_option`) for a local input error,
    before any network call. ``required_libs`` lists ``(has_lib, name, error)``.
    """

    argument_spec = {}
    module_kwargs = {}
    required_libs = ()
    module_name = 'probe'  # the module that documents the options (ansible-doc gpt371.infra.<module_name>)
    first_check = 'connect'  # named by the watchdog when the deadline passes before any check began

    def __init__(self, params=None, warn=None):
        """A module of its own (no arguments: the options come from Ansible), or one probe of several in one
        module run (``params`` validated by :func:`embedded_params`, ``warn`` the host module's warn)."""
        already = process_age()
        self.ansible = None
        if params is None:
            spec = probe_argument_spec()
            spec.update(self.argument_spec)
            self.ansible = _ProbeAnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
            self.ansible.validating = False
            params, warn = self.ansible.params, self.ansible.warn
        self.params = params
        self.warn = warn or (lambda text: None)
        self.deadline = Deadline(max(0.1, self.params['timeout'] - EXIT_RESERVE), already)
        self.checks = []
        self.results = {}
        self.current = None
        self.started = time.monotonic()
        self.missing_lib = None
        for has_lib, name, error in self.required_libs:
            if not has_lib:
                if self.ansible is not None:
                    self.ansible.fail_json(msg=missing_required_lib(name), exception=error, changed=False, ok=False,
                                           reason='dependency', attempts=1, checks=[])
                self.missing_lib = name

    # -- hooks for subclasses ------------------------------------------------
    def run(self):
        raise NotImplementedError

    def validate(self):
        """Raise a ``config`` ProbeFailure when an option of this probe is invalid (no network here)."""

    def explain(self, check, exc):
        """Map a library exception raised inside ``check`` to a ProbeFailure, or None to let it propagate."""
        return None

    def target(self):
        """Where the probe connects, for messages (host:port or URL)."""
        return 'the service'

    def timeout_failure(self, check, waited):
        """The probe's own 'no answer' failure, for a check stopped by the watchdog after ``waited`` seconds."""
        cause, fix = MESSAGES['timeout']
        fields = dict(target=self.target(), waited=waited)
        return ProbeFailure('timeout', cause.format(**fields), fix.format(**fields))

    def timed_out(self, check, waited):
        """The failure of a check the watchdog stopped at the deadline: it says what the wait was part of."""
        failure = self.timeout_failure(check, waited)
        cause, detail = MESSAGES['deadline']
        fields = dict(cause=failure.cause, timeout=self.params['timeout'], waited=waited)
        failure.cause, failure.detail = cause.format(**fields), detail.format(**fields)
        return failure

    def secrets(self):
        """Values that must never appear in output (no_log options are masked by Ansible too)."""
        return []

    def cleanup(self):
        """Release connections; called once after the last attempt."""

    # -- helpers ---------------------------------------------------------------
    def check(self, name):
        return _CheckRecorder(self, name)

    def waited(self):
        """Seconds the check in progress has run (for messages that state the wait that happened)."""
        return time.monotonic() - self.current[1] if self.current else 0.0

    def scrub(self, text):
        text = '' if text is None else str(text)
        for secret in self.secrets():
            if secret and len(str(secret)) >= 3:
                text = text.replace(str(secret), '********')
        return text

    def validate_common(self):
        p = self.params
        for name, low in (('retries', 0), ('delay', 0), ('backoff', 1), ('timeout', 0.1)):
            if p[name] < low:
                raise invalid_option(name, p[name], 'a number >= %s' % low)

    # -- the attempt loop ------------------------------------------------------
    def attempt(self):
        """One run() in a worker thread, abandoned when the deadline passes (DNS, a wedged library)."""
        self.checks, self.current = [], None
        box = {}

        def work():
            try:
                self.run()
            except BaseException as exc:  # handed to the main thread as is
                box['error'] = exc

        worker = threading.Thread(target=work, name='probe-attempt')
        worker.daemon = True
        worker.start()
        worker.join(self.deadline.remaining())
        if worker.is_alive():
            current = self.current
            name, since = current if current else (self.first_check, self.deadline.start)
            failure = self.timed_out(name, time.monotonic() - since)
            failure.check = name
            self.checks = list(self.checks) + [dict(
                name=name, ok=False, detail=self.scrub(failure.detail), reason=failure.reason,
                elapsed_ms=elapsed_ms(since))]
            raise failure
        if 'error' in box:
            raise box['error']

    def bounded_cleanup(self):
        """cleanup(), given at most CLEANUP_GRACE seconds past the deadline (a wedged connection may block)."""
        worker = threading.Thread(target=self.cleanup, name='probe-cleanup')
        worker.daemon = True
        worker.start()
        worker.join(max(CLEANUP_GRACE, self.deadline.remaining()))
        if worker.is_alive():
            self.warn('cleanup did not finish within the timeout; a connection was left to the OS')

    def __call__(self):
        """Run as a module of its own: exit_json, or fail_json when the probe failed and fail_on_error."""
        result = self.execute()
        if result.pop('bug', None) is not None:
            self.ansible.fail_json(**result)
        if result['ok'] or not self.params['fail_on_error']:
            self.ansible.exit_json(**result)
        self.ansible.fail_json(**result)

    def execute(self):
        """Validate, attempt with retries, clean up; return the result (``msg`` set when not ok). A bug or an
        unforeseen library error gives ``ok=false``, reason ``error`` and the traceback under ``exception``."""
        self.started = time.monotonic()
        if self.missing_lib:
            return dict(changed=False, ok=False, attempts=1, checks=[], elapsed_ms=0, failed_check=OPTIONS_CHECK,
                        reason='dependency', cause=missing_required_lib(self.missing_lib),
                        fix='install %s on this host' % self.missing_lib, msg=missing_required_lib(self.missing_lib))
        attempts = 1
        failure = None
        try:
            try:
                self.validate_common()
                self.validate()
            except ProbeFailure as exc:
                exc.check = OPTIONS_CHECK
                self.checks = [dict(name=OPTIONS_CHECK, ok=False, detail=self.scrub(exc.detail),
                                    reason=exc.reason, elapsed_ms=0)]
                failure = exc
            while failure is None:
                try:
                    self.attempt()
                    break
                except ProbeFailure as exc:
                    failure = exc
                pause = self.params['delay'] * (self.params['backoff'] ** (attempts - 1))
                if not failure.retryable or attempts > self.params['retries'] or self.deadline.remaining() <= pause:
                    break
                time.sleep(pause)
                attempts += 1
                failure = None
        except Exception as exc:  # a bug or an unforeseen library error: fail with the traceback
            self.bounded_cleanup()
            msg = self.scrub('probe error: %s: %s' % (type(exc).__name__, exc))
            return dict(changed=False, ok=False, attempts=attempts, checks=self.checks,
                        elapsed_ms=elapsed_ms(self.started), failed_check=(self.current or ('run',))[0],
                        reason='error', cause=msg, fix='report this as a bug of gpt371.infra, with the traceback',
                        msg=msg, exception=self.scrub(traceback.format_exc()), bug=True)
        self.bounded_cleanup()
        return self.finish(failure, attempts)

    def finish(self, failure, attempts):
        result = dict(changed=False, ok=failure is None, checks=self.checks,
                      attempts=attempts, elapsed_ms=elapsed_ms(self.started))
        result.update(self.results)
        if failure is None:
            return result
        result['failed_check'] = failure.check
        result['reason'] = failure.reason
        result['cause'] = self.scrub(failure.cause)
        result['fix'] = self.scrub(failure.fix)
        result['msg'] = '%s check failed after %d attempt%s: %s: %s' % (
            failure.check, attempts, '' if attempts == 1 else 's', result['cause'], result['fix'])
        return result


def embedded_params(probe_class, values):
    """(params, no_log_values, error) of one probe run inside another module: ``values`` checked against the
    probe's options (the shared ones included) as AnsibleModule would, fallbacks and defaults applied.
    ``error`` is the config result of :meth:`ProbeModule.execute`'s shape, or None."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = probe_argument_spec()
    spec.update(probe_class.argument_spec)
    validator = ArgumentSpecValidator(spec, **probe_class.module_kwargs)
    checked = validator.validate(dict((k, v) for k, v in values.items() if v is not None))
    no_log = set(checked._no_log_values)
    if not checked.error_messages:  # (`errors` is an exception object: always true)
        return checked.validated_parameters, no_log, None
    msg = '; '.join(checked.error_messages)
    for secret in no_log:
        if str(secret):
            msg = msg.replace(str(secret), '********')
    cause, fix = MESSAGES['arguments']
    fields = dict(msg=msg, module=probe_class.module_name)
    return None, no_log, dict(changed=False, ok=False, attempts=1, elapsed_ms=0, failed_check=OPTIONS_CHECK,
                              reason='config', cause=cause.format(**fields), fix=fix.format(**fields), msg=msg,
                              checks=[dict(name=OPTIONS_CHECK, ok=False, reason='config', detail=msg,
                                           elapsed_ms=0)])


def run_probe(probe_class):
    """The main() of a probe module: build it (options parsed, libraries checked) and run it to exit_json/fail_json."""
    probe_class()()
