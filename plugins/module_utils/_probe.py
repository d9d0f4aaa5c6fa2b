# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Shared plumbing of the integration probes.

A probe module declares its options and a ``run()`` that performs named checks.
This base owns what every probe needs: the common options (retries, backoff,
overall deadline, fail_on_error), timing, the result shape, retries of transient
failures, and one failure path whose message names the failing check, the cause
in plain words and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


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
    """A check failed. ``cause`` and ``fix`` are plain words for the user.

    ``retryable`` marks transient causes (refused, timed out, 5xx) that a later
    attempt may not meet; a wrong password or a missing extension is not.
    """

    def __init__(self, cause, fix, retryable=False, detail=None):
        super(ProbeFailure, self).__init__(cause)
        self.cause = cause
        self.fix = fix
        self.retryable = retryable
        self.detail = detail or cause


class Deadline:
    """Overall time budget of one module run, shared by all attempts."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.monotonic()

    def remaining(self):
        return max(0.0, self.seconds - (time.monotonic() - self.start))

    def expired(self):
        return self.remaining() <= 0.0

    def bound(self, seconds, floor=0.1):
        """A per-operation timeout that never outlives the deadline."""
        return max(floor, min(float(seconds), self.remaining()))


def elapsed_ms(since):
    return int(round((time.monotonic() - since) * 1000))


class _CheckRecorder:
    """Context manager that times one check and records its outcome."""

    def __init__(self, probe, name):
        self.probe = probe
        self.name = name
        self.detail = ''
        self.start = None

    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._record(True, self.detail)
            return False
        failure = exc if isinstance(exc, ProbeFailure) else self.probe.explain(self.name, exc)
        if failure is None:  # not a cause the module knows: the traceback path handles it
            return False
        self._record(False, failure.detail)
        self.probe.failed_check = self.name
        if failure is exc:
            return False
        raise failure

    def _record(self, ok, detail):
        self.probe.checks.append(dict(
            name=self.name, ok=ok, detail=self.probe.scrub(detail), elapsed_ms=elapsed_ms(self.start)))


class ProbeModule:
    """Base class: subclasses set ``argument_spec``, ``module_kwargs`` and implement ``run()``.

    ``run()`` calls ``with self.check('name') as c: ...; c.detail = '...'`` for each
    check, raises :class:`ProbeFailure` on a failure, and stores extra return
    values in ``self.results``. ``required_libs`` lists ``(has_lib, name, error)``.
    """

    argument_spec = {}
    module_kwargs = {}
    required_libs = ()

    def __init__(self):
        spec = probe_argument_spec()
        spec.update(self.argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.ansible.params
        for has_lib, name, error in self.required_libs:
            if not has_lib:
                self.ansible.fail_json(msg=missing_required_lib(name), exception=error)
        self.validate_common()
        self.deadline = Deadline(self.params['timeout'])
        self.checks = []
        self.results = {}
        self.failed_check = None

    # -- hooks for subclasses ------------------------------------------------
    def run(self):
        raise NotImplementedError

    def explain(self, check, exc):
        """Map a library exception raised inside ``check`` to a ProbeFailure, or None to let it propagate."""
        return None

    def secrets(self):
        """Values that must never appear in output (no_log options are masked by Ansible too)."""
        return []

    def cleanup(self):
        """Release connections; called once after the last attempt."""

    # -- helpers ---------------------------------------------------------------
    def check(self, name):
        return _CheckRecorder(self, name)

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
                self.ansible.fail_json(msg='%s must be >= %s (got %s)' % (name, low, p[name]))

    # -- the attempt loop ------------------------------------------------------
    def __call__(self):
        start = time.monotonic()
        failure = None
        attempts = 0
        try:
            while True:
                attempts += 1
                self.checks, self.failed_check, failure = [], None, None
                try:
                    self.run()
                    break
                except ProbeFailure as exc:
                    failure = exc
                pause = self.params['delay'] * (self.params['backoff'] ** (attempts - 1))
                if not failure.retryable or attempts > self.params['retries'] or self.deadline.remaining() <= pause:
                    break
                time.sleep(pause)
        except Exception as exc:  # a bug or an unforeseen library error: fail with the traceback
            self.cleanup()
            self.ansible.fail_json(msg=self.scrub('probe error: %s: %s' % (type(exc).__name__, exc)),
                                   exception=self.scrub(traceback.format_exc()), changed=False)
        self.cleanup()
        result = dict(changed=False, ok=failure is None, checks=self.checks,
                      attempts=attempts, elapsed_ms=elapsed_ms(start))
        result.update(self.results)
        if failure is None:
            self.ansible.exit_json(**result)
        result['failed_check'] = self.failed_check
        result['cause'] = self.scrub(failure.cause)
        result['fix'] = self.scrub(failure.fix)
        msg = '%s check failed after %d attempt%s: %s: %s' % (
            self.failed_check, attempts, '' if attempts == 1 else 's', result['cause'], result['fix'])
        if self.params['fail_on_error']:
            self.ansible.fail_json(msg=msg, **result)
        result['msg'] = msg
        self.ansible.exit_json(**result)
