#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: xpipe_health
short_description: Prove an application host can reach the 371GPT XPipe server's health endpoint
version_added: 0.1.0
description:
  - Calls XPipe's health endpoint with the API key and checks, in order, C(request) (an answer came),
    C(status) (its code is in O(expected_status)), C(json) (the body is JSON), C(expected_json) (the body contains
    O(expected_json)) and, for HTTPS, C(certificate) (days until the server certificate expires; with
    O(validate_certs=false) an expired or not yet valid certificate fails here, since no handshake refused it).
  - Replaces the guide's C(curl -s http://${XPIPE_HOST}:${XPIPE_PORT}/health) with named checks and retries of
    transient answers (connection refused, timeouts, HTTP 5xx).
  - The default URL is built from E(XPIPE_HOST) and E(XPIPE_PORT), over HTTPS, since the guide asks for TLS everywhere.
author:
  - gpt371.infra maintainers (@gpt371)
extends_documentation_fragment:
  - gpt371.infra.probe
requirements:
  - Nothing beyond Python on the host that runs the module (the standard library's C(http.client) and C(ssl), as
    M(ansible.builtin.uri)). With O(validate_certs=false), reading the certificate dates needs C(cryptography).
options:
  url:
    description:
      - Health endpoint URL.
      - Defaults to C(https://<XPIPE_HOST>:<XPIPE_PORT>/health) from the environment (port 8080 when unset).
      - A URL that is not http(s), has no host or a port outside 1-65535 fails before any network call with reason
        V(config).
    type: str
  api_key:
    description: API key sent in O(api_key_header). Falls back to E(XPIPE_API_KEY). Never logged.
    type: str
  api_key_header:
    description: Header that carries O(api_key).
    type: str
    default: X-API-Key
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  ca_cert:
    description:
      - CA certificate bundle (PEM) to verify the server certificate with, instead of the default bundle.
      - The same option name as in M(gpt371.infra.pg_probe) and M(gpt371.infra.s3_probe); the old name C(ca_path)
        stays an alias.
      - Checked before any network call, a missing or unreadable file, or one without a certificate, fails with
        reason V(config).
    type: path
    aliases: [ca_path]
  client_cert:
    description: Client certificate (PEM) for mutual TLS.
    type: path
  client_key:
    description: Key of O(client_cert), when not in the same file.
    type: path
  expected_status:
    description: HTTP status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  expected_json:
    description:
      - A subset the JSON body must contain (nested objects match as subsets, other values must be equal).
      - V({}) only requires the body to be JSON.
    type: dict
    default: {status: ok}
  require_json:
    description: Fail when the body is not JSON.
    type: bool
    default: true
  request_timeout:
    description:
      - Seconds to wait to connect and for the answer; there are no retries underneath the module's own.
      - Never more than what is left of O(timeout), which bounds the whole task.
    type: float
    default: 10.0
  cert_warning_days:
    description: Warn when the server certificate expires within this many days.
    type: int
    default: 14
notes:
  - Its failures carry the reasons V(auth), V(config), V(denied), V(dns), V(error), V(not_found), V(protocol),
    V(refused), V(timeout), V(tls_expired), V(tls_handshake), V(tls_hostname), V(tls_not_tls), V(tls_not_yet_valid),
    V(tls_protocol), V(tls_self_signed), V(tls_untrusted), V(unhealthy) or V(unreachable).
seealso:
  - module: ansible.builtin.uri
  - module: gpt371.infra.pg_probe
  - module: gpt371.infra.s3_probe
'''

EXAMPLES = r'''
- name: Check XPipe from an app host
  gpt371.infra.xpipe_health:
    url: "https://{{ xpipe_instance_ip }}:8080/health"
    api_key: "{{ xpipe_api_key }}"
    ca_cert: /etc/371gpt/ca.pem

- name: Accept a degraded XPipe during a maintenance window
  gpt371.infra.xpipe_health:
    url: https://xpipe.internal.example:8080/health
    api_key: "{{ xpipe_api_key }}"
    expected_json: {}
    retries: 5
    delay: 2
'''

RETURN = r'''
extends_documentation_fragment:
  - gpt371.infra.probe
url:
  description: The URL called.
  returned: always
  type: str
  sample: https://10.0.0.11:8080/health
status:
  description: HTTP status of the last answer.
  returned: when an answer came
  type: int
  sample: 200
json:
  description: The parsed JSON body.
  returned: when the body is JSON
  type: dict
  sample: {status: ok, database: reachable, storage: reachable}
cert_days_remaining:
  description:
    - Whole days until the server certificate expires, rounded toward zero (V(-3) three days and some hours after).
    - Whether it has expired is decided on the timestamps (RV(cert_not_after)), so V(0) may be either side.
  returned: for https URLs whose certificate could be read
  type: int
  sample: 364
cert_not_after:
  description: When the server certificate expires (UTC).
  returned: for https URLs whose certificate could be read
  type: str
  sample: '2027-12-03T08:00:00Z'
'''

from ansible_collections.gpt371.infra.plugins.module_utils._probe import run_probe
from ansible_collections.gpt371.infra.plugins.module_utils._xpipe_probe import XpipeHealth


def main():
    run_probe(XpipeHealth)


if __name__ == '__main__':
    main()
