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
      - How many times a transient failure (connection refused, timed out, HTTP 5xx) is retried.
      - Failures that another attempt cannot fix (wrong password, missing extension, JSON mismatch) are not retried.
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
      - Overall deadline in seconds for all attempts together; every network operation is bounded by what is left of it.
    type: float
    default: 30.0
  fail_on_error:
    description:
      - When V(true), a failed check fails the task with a message naming the check, the cause and the fix.
      - When V(false), the task succeeds with RV(ok=false) and the same C(msg), C(cause) and C(fix), so a play can
        check every integration point and fail once with the whole picture.
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
  - Secrets are declared C(no_log) and are also scrubbed from every check detail and message.
  - Pass secrets as options or through the environment of C(ansible-playbook) itself (as AWX credential types
    inject them), not through the task C(environment) keyword, which Ansible shows at C(-vvv).
'''
