# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options and attributes shared by the integration probes (module_utils/_probe.py)."""

    DOCUMENTATION = r'''
options:
  retries:
    description:
      - How many times a transient failure is retried, that is reasons V(refused), V(unreachable), V(timeout) and
        V(unhealthy) (HTTP 5xx, a server starting up), and V(dns) when the resolver says the failure is temporary.
      - Every other failure (wrong password, missing extension, JSON mismatch, certificate, invalid option) fails at
        once, since another attempt cannot fix it.
    type: int
    default: 2
  delay:
    description:
      - Seconds to wait before the first retry; each following wait is multiplied by O(backoff).
    type: float
    default: 1.0
  backoff:
    description:
      - Multiplier applied to O(delay) after each retry (1 means a fixed delay).
    type: float
    default: 2.0
  timeout:
    description:
      - Deadline in seconds of the whole task, counted from the start of the module's process (its imports
        included), for all attempts, the pauses between them and every network operation, each bounded by what is left.
      - The client libraries' own retries are disabled, and a watchdog stops a check still running at the deadline
        (a server that accepts the connection and never answers, a name lookup that hangs) with reason V(timeout)
        and the wait that happened. The task ends within about a second of O(timeout) in every failure mode.
    type: float
    default: 30.0
  fail_on_error:
    description:
      - When V(true), a failed check fails the task with a message naming the check, the cause and the fix.
      - When V(false), the task succeeds with C(ok=false) and the same C(msg), C(reason), C(cause) and C(fix), so a
        play can check every integration point and fail once with the whole picture. Invalid options are reported
        the same way.
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: A probe never changes anything and runs the same way in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row, the second run reports no change.
    support: full
notes:
  - The module always returns C(changed=false).
  - A failure returns C(reason), a word for machines that does not change when the wording of C(cause) does, and
    the failed entry of C(checks) carries it too. The reasons are V(auth) (credentials rejected), V(clock) (clocks
    too far apart), V(config) (an invalid option), V(denied) (authenticated but not allowed by privileges, policy,
    C(pg_hba.conf), HTTP 403), V(dependency) (a Python library missing on the host), V(dns) (the name does not
    resolve), V(error) (none of the others), V(not_found) (database, bucket, extension, table or URL path
    missing), V(protocol) (an answer, but not the service's, such as not JSON or an unexpected status),
    V(refused) (nothing listens), V(timeout) (no answer in the time left), V(tls_expired), V(tls_handshake)
    (ciphers, client certificate, any other handshake failure), V(tls_hostname) (certificate not valid for the
    name used), V(tls_not_tls) (no TLS on that port), V(tls_not_yet_valid), V(tls_protocol) (the server offers
    only TLS 1.0 or 1.1), V(tls_self_signed), V(tls_untrusted) (signed by a CA that O(ca_cert) or the system
    store does not hold), V(unhealthy) (the service reports a failure, such as HTTP 5xx, starting up or a
    degraded body), V(unreachable) (no route, or the connection was dropped) and V(version) (a component older
    than required); each module's notes list those it can give.
  - Local input errors (an invalid port, bucket name, URL or CA file, a value Ansible cannot convert) are found
    before any network call and fail at once with reason V(config), C(failed_check=options) and C(attempts=1);
    the message names the option and its valid form.
  - A TLS failure is named by its cause, found with a handshake of the probe's own, that is not TLS at all,
    expired (with the date and the whole days since, also when O(ca_cert) is set), not yet valid, host name mismatch, unknown
    CA, self-signed, a protocol older than TLS 1.2; each with its own fix. A probe that connected over TLS
    returns the version it used as C(tls_version). Dates and names need the C(cryptography) library on the host;
    without it the cause comes from OpenSSL's verification alone.
  - Secrets are declared C(no_log) and are also scrubbed from every check detail and message.
  - Pass secrets as options or through the environment of C(ansible-playbook) itself (as AWX credential types
    inject them), not through the task C(environment) keyword, which Ansible shows at C(-vvv).
'''

    # Return values every probe gives (module RETURN blocks extend this with `extends_documentation_fragment`).
    RETURN = r'''
ok:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
checks:
  description:
    - One entry per check run (C(name), C(ok), C(detail), C(elapsed_ms)); the first failure ends an attempt.
    - The failed entry also has C(reason). An invalid option fails a check named C(options) before any other.
  returned: always
  type: list
  elements: dict
  sample: [{name: connect, ok: true, detail: "authenticated as app to 371gpt at 10.0.0.12:5432", elapsed_ms: 14}]
attempts:
  description:
    - Attempts made; transient failures (refused, unreachable, timed out, HTTP 5xx or a service starting up) are
      retried up to O(retries) times. Always V(1) for an invalid option.
  returned: always
  type: int
  sample: 1
elapsed_ms:
  description: Time of the whole run in milliseconds.
  returned: always
  type: int
  sample: 61
tls_version:
  description: TLS version of the connection the checks used, as OpenSSL names it.
  returned: when the probe connected over TLS
  type: str
  sample: TLSv1.3
reason:
  description:
    - Why the check failed, for machines; it stays the same when the wording of C(cause) changes.
    - One of the reasons in the notes (each module's own notes list those it can give).
  returned: on failure
  type: str
  sample: refused
failed_check:
  description: Name of the check that failed (C(options) for an invalid option).
  returned: on failure
  type: str
  sample: connect
cause:
  description: Cause of the failure in plain words.
  returned: on failure
  type: str
  sample: connection refused at 10.0.0.12:5432
fix:
  description: What to change.
  returned: on failure
  type: str
  sample: check the service runs and a security group allows its port from this host
msg:
  description: C(<check> check failed after N attempts, <cause>, <fix>); a timeout states the wait that happened.
  returned: on failure
  type: str
'''
