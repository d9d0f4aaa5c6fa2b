#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: s3_probe
short_description: Prove an application host can use the 371GPT object storage (S3-compatible)
version_added: 0.1.0
description:
  - Talks to the S3-compatible store the way the 371GPT services do and checks, in order, C(bucket) (the bucket
    answers a HEAD), then C(write) (a uniquely named probe object is stored), C(read) (read back, SHA-256
    compared) and C(delete) (removed again); with O(mode=read_only), C(list) (objects can be listed) instead.
  - The probe object is always removed, also when a check after the write fails. It leaves nothing behind, so
    the round trip runs in check mode too.
  - Works with stores that reject the newer boto3 checksum headers, since it sends none; the payload's SHA-256 is
    signed (C(x-amz-content-sha256)) and the object read back is compared with it.
  - All calls of a run share one HTTP(S) connection (one TLS handshake when the store keeps it open).
  - Connection options fall back to the guide's C(STORAGE_*) environment variables, then to C(AWS_*).
author:
  - gpt371.infra maintainers (@gpt371)
extends_documentation_fragment:
  - gpt371.infra.probe
requirements:
  - Python's standard library only; requests are signed with AWS Signature Version 4 by the module itself, so
    neither boto3 nor botocore is needed on the host.
options:
  endpoint_url:
    description:
      - URL of the S3-compatible endpoint. Falls back to E(STORAGE_ENDPOINT), then E(AWS_ENDPOINT_URL).
      - Leave unset for AWS S3.
    type: str
  region:
    description: Region name. Falls back to E(AWS_REGION), then E(AWS_DEFAULT_REGION).
    type: str
    default: us-east-1
  access_key:
    description: Access key id. Falls back to E(STORAGE_ACCESS_KEY), then E(AWS_ACCESS_KEY_ID).
    type: str
    required: true
    aliases: [aws_access_key_id]
  secret_key:
    description: Secret key. Falls back to E(STORAGE_SECRET_KEY), then E(AWS_SECRET_ACCESS_KEY). Never logged.
    type: str
    required: true
    aliases: [aws_secret_access_key]
  session_token:
    description: Session token for temporary credentials. Falls back to E(AWS_SESSION_TOKEN). Never logged.
    type: str
  bucket:
    description:
      - Bucket to probe. Falls back to E(STORAGE_BUCKET).
      - A name S3 does not allow (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a
        letter or digit) fails before any network call with reason V(config).
    type: str
    default: 371gpt-assets
  prefix:
    description: Key prefix of the probe object (for stores that only allow writes under a prefix).
    type: str
    default: ''
  mode:
    description: V(read_write) runs the write/read/delete round trip; V(read_only) only lists.
    type: str
    default: read_write
    choices: [read_write, read_only]
  addressing_style:
    description:
      - V(path) puts the bucket in the URL path, which S3-compatible stores (MinIO, Ceph RGW, moto) expect.
      - V(auto) uses V(path) when O(endpoint_url) is set and V(virtual) (the bucket in the host name) for AWS S3.
    type: str
    default: auto
    choices: [auto, path, virtual]
  validate_certs:
    description: Verify the endpoint's TLS certificate.
    type: bool
    default: true
  ca_cert:
    description:
      - CA certificate bundle (PEM) to verify the endpoint's certificate with, instead of the default bundle.
      - The same option name as in M(gpt371.infra.pg_probe) and M(gpt371.infra.xpipe_health); the old name
        C(ca_bundle) stays an alias.
      - Checked before any network call, a missing or unreadable file, or one without a certificate, fails with
        reason V(config).
    type: path
    aliases: [ca_bundle]
  request_timeout:
    description:
      - Seconds to wait to connect and for each answer; one try per call, no retries underneath the module's own.
      - Never more than what is left of O(timeout), which bounds the whole task.
    type: float
    default: 10.0
notes:
  - Its failures carry the reasons V(auth), V(clock), V(config), V(denied), V(dns), V(error), V(not_found),
    V(refused), V(timeout), V(tls_expired), V(tls_handshake), V(tls_hostname), V(tls_not_tls), V(tls_not_yet_valid),
    V(tls_protocol), V(tls_self_signed), V(tls_untrusted), V(unhealthy) or V(unreachable).
seealso:
  - module: amazon.aws.s3_object_info
  - module: gpt371.infra.pg_probe
  - module: gpt371.infra.xpipe_health
'''

EXAMPLES = r'''
- name: Check object storage with the values of the app host's .env
  gpt371.infra.s3_probe:
    endpoint_url: "{{ storage_endpoint }}"
    access_key: "{{ storage_access_key }}"
    secret_key: "{{ storage_secret_key }}"
    bucket: 371gpt-assets

- name: A host that only reads models
  gpt371.infra.s3_probe:
    endpoint_url: https://s3.internal.example
    ca_cert: /etc/371gpt/ca.pem
    access_key: "{{ reader_key }}"
    secret_key: "{{ reader_secret }}"
    prefix: models/
    mode: read_only
'''

RETURN = r'''
extends_documentation_fragment:
  - gpt371.infra.probe
bucket:
  description: The bucket probed.
  returned: always
  type: str
  sample: 371gpt-assets
endpoint_url:
  description: The endpoint used (empty for AWS).
  returned: always
  type: str
  sample: http://10.0.0.20:9000
probe_key:
  description: Key of the probe object written and removed again.
  returned: when the write check ran
  type: str
  sample: .gpt371-probe/4f1c0e2b6f.bin
sha256:
  description: SHA-256 of the probe object, equal for the bytes written and read back.
  returned: when the read check passed
  type: str
'''

from ansible_collections.gpt371.infra.plugins.module_utils._probe import run_probe
from ansible_collections.gpt371.infra.plugins.module_utils._s3_probe import S3Probe


def main():
    run_probe(S3Probe)


if __name__ == '__main__':
    main()
