#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: storage_state
short_description: Read an object store's buckets, area prefixes and backups lifecycle rule in one call
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads, over one connection to an S3-compatible store, the buckets the credentials own, which area prefixes
    (the empty objects C(models/), C(documents/), ...) the shared bucket holds, and the lifecycle rules of the
    backups bucket, and compares them with the storage role's layout.
  - RV(drift) says, one phrase each, what differs (the storage role's C(check) action reports it); RV(plan) says
    what the role's deploy applies (the buckets and prefixes to create, whether to apply the lifecycle rule), so a
    run with nothing to change makes this one read.
  - Needs only Python's standard library (the request signing is AWS Signature Version 4). Nothing is written.
options:
  endpoint_url:
    description: URL of the store (C(https://s3.example.com:9000)).
    type: str
    required: true
  access_key:
    description: Access key ID.
    type: str
    required: true
    aliases: [aws_access_key_id]
  secret_key:
    description: Secret access key. Never logged.
    type: str
    required: true
    aliases: [aws_secret_access_key]
  region:
    description: Region the requests are signed for.
    type: str
    default: us-east-1
  validate_certs:
    description: Verify the store's TLS certificate and host name.
    type: bool
    default: true
  aws_ca_bundle:
    description: PEM file of the CA that signed the store's certificate; the system trust store when not given.
    type: path
    aliases: [ca_bundle]
  request_timeout:
    description: Seconds each request may wait for the store.
    type: float
    default: 10.0
  layout:
    description:
      - The wanted layout, as the storage role's C(storage_layout) filter gives it.
      - Its first bucket is the shared bucket that holds the prefixes.
    type: dict
    required: true
    suboptions:
      buckets:
        description: The buckets wanted, the shared bucket first.
        type: list
        elements: str
        required: true
      prefixes:
        description: The area prefixes wanted in the shared bucket.
        type: list
        elements: str
        default: []
      backups_bucket:
        description: The bucket of the backups, whose lifecycle rule is read.
        type: str
        required: true
      backups_prefix:
        description: The prefix the backups rule must filter on.
        type: str
        default: ''
      area_map:
        description: Each area's bucket, as the filter gives it; not read (the buckets above say it all).
        type: dict
  expiration_days:
    description: Days after which the backups rule expires objects; C(0) wants no rule (none is read).
    type: int
    default: 0
  rule_id:
    description: ID of the backups lifecycle rule.
    type: str
    default: 371gpt-backups-expiry
  lifecycle:
    description:
      - C(auto) reads the rule where the store supports lifecycle rules; C(required) counts unreadable rules as
        drift; C(skip) reads none.
    type: str
    default: auto
    choices: [auto, required, skip]
notes:
  - Check mode is supported; the module never writes, and returns the same in check mode.
  - Lists need C(s3:ListAllMyBuckets) and C(s3:ListBucket); the rule needs C(s3:GetLifecycleConfiguration). A store
    that refuses the rule's read (no lifecycle support) gives RV(lifecycle_rules) C(null).
seealso:
  - module: amazon.aws.s3_bucket
  - module: amazon.aws.s3_object
  - module: community.aws.s3_lifecycle
'''

EXAMPLES = r'''
- name: Read the store as it is
  gpt371.infra.storage_state:
    endpoint_url: https://s3.example.com:9000
    access_key: "{{ storage_access_key }}"
    secret_key: "{{ storage_secret_key }}"
    aws_ca_bundle: /etc/gpt371/ca.pem
    layout: {buckets: [371gpt-assets], prefixes: [models/, backups/], backups_bucket: 371gpt-assets,
             backups_prefix: backups/}
    expiration_days: 30
  register: store

- name: Create only the missing prefixes
  amazon.aws.s3_object:
    bucket: 371gpt-assets
    object: "{{ item }}"
    mode: create
  loop: "{{ store.plan.prefixes }}"
'''

RETURN = r'''
buckets:
  description: The buckets the credentials own.
  returned: always
  type: list
  elements: str
  sample: [371gpt-assets]
prefixes:
  description: The wanted prefixes that the shared bucket holds (as objects of that exact name).
  returned: always
  type: list
  elements: str
  sample: [models/, backups/]
lifecycle_rules:
  description:
    - The backups bucket's lifecycle rules (ID, Status, Prefix or Filter.Prefix, Expiration.Days, as
      C(amazon.aws.s3_bucket_info) shapes them); C([]) when it has none.
    - C(null) when not read (no rule wanted, the bucket missing) or when the store refused the read.
  returned: always
  type: list
  elements: dict
  sample: [{ID: 371gpt-backups-expiry, Status: Enabled, Filter: {Prefix: backups/}, Expiration: {Days: 30}}]
drift:
  description: What differs from the layout, one phrase each; empty when nothing does.
  returned: always
  type: list
  elements: str
  sample: ['prefix missing: 371gpt-assets/documents/']
plan:
  description: What the storage role's deploy applies.
  returned: always
  type: dict
  contains:
    buckets:
      description: The buckets to create.
      type: list
      elements: str
      returned: always
    prefixes:
      description: The prefixes to create in the shared bucket (all of them when it is to be created).
      type: list
      elements: str
      returned: always
    lifecycle:
      description: Whether to apply the backups rule (it differs, its bucket is new, or the store did not say).
      type: bool
      returned: always
  sample: {buckets: [], prefixes: [documents/], lifecycle: false}
'''

from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpt371.infra.plugins.module_utils import _storage_layout
from ansible_collections.gpt371.infra.plugins.module_utils._http import HTTP_ERRORS
from ansible_collections.gpt371.infra.plugins.module_utils._probe import network_reason
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import (
    S3Client, S3Error, client_failure, endpoint_problem, endpoint_tls_context, network_failure)


def read_store(client, layout, expiration_days, lifecycle, timeout):
    """(bucket names, {prefix: [keys]}, lifecycle rules or None) of the store, as storage_drift takes them."""
    names = client.list_buckets(timeout=timeout)
    keys = {}
    if layout['buckets'][0] in names:
        for prefix in layout['prefixes']:
            keys[prefix] = client.list_keys(layout['buckets'][0], prefix, 1, timeout=timeout)
    rules = None
    if lifecycle != 'skip' and expiration_days > 0 and layout['backups_bucket'] in names:
        try:
            rules = client.lifecycle_rules(layout['backups_bucket'], timeout=timeout)
        except S3Error as exc:
            if exc.status in (401, 403) and exc.code != 'AccessDenied':  # the credentials, not the rule
                raise
            rules = None  # no lifecycle support here (NotImplemented, ...) or no right to read it
    return names, keys, rules


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoint_url=dict(type='str', required=True),
            access_key=dict(type='str', required=True, no_log=True, aliases=['aws_access_key_id']),
            secret_key=dict(type='str', required=True, no_log=True, aliases=['aws_secret_access_key']),
            region=dict(type='str', default='us-east-1'),
            validate_certs=dict(type='bool', default=True),
            aws_ca_bundle=dict(type='path', aliases=['ca_bundle']),
            request_timeout=dict(type='float', default=10.0),
            layout=dict(type='dict', required=True, options=dict(
                buckets=dict(type='list', elements='str', required=True),
                prefixes=dict(type='list', elements='str', default=[]),
                backups_bucket=dict(type='str', required=True),
                backups_prefix=dict(type='str', default=''),
                area_map=dict(type='dict'))),
            expiration_days=dict(type='int', default=0),
            rule_id=dict(type='str', default='371gpt-backups-expiry'),
            lifecycle=dict(type='str', default='auto', choices=['auto', 'required', 'skip']),
        ),
        supports_check_mode=True,
    )
    p = module.params
    endpoint = p['endpoint_url']
    problem = endpoint_problem(endpoint)
    if problem:
        module.fail_json(msg='endpoint_url: got %r, wanted %s (e.g. https://10.10.0.20:9000).' % (endpoint, problem))
    if not p['layout']['buckets']:
        module.fail_json(msg='layout.buckets: give at least the shared bucket (the storage_layout filter does).')
    if p['request_timeout'] <= 0:
        module.fail_json(msg='request_timeout: got %s, wanted a number of seconds > 0.' % p['request_timeout'])
    client = S3Client(endpoint, p['region'], p['access_key'], p['secret_key'], style='path',
                      ssl_context=endpoint_tls_context(endpoint, p['validate_certs'], p['aws_ca_bundle']))
    try:
        names, keys, rules = read_store(client, p['layout'], p['expiration_days'], p['lifecycle'],
                                        p['request_timeout'])
    except S3Error as exc:
        found = client_failure(exc.code, exc.message, p['layout']['buckets'][0], endpoint, 'ListBucket')
        module.fail_json(msg='storage_state: %s; %s.' % (found.cause, found.fix), reason=found.reason)
    except HTTP_ERRORS as exc:
        reason = network_reason(exc)[0]
        if reason == 'tls':
            module.fail_json(msg='storage_state: the TLS handshake with %s failed (%s); give the CA that signed its '
                                 'certificate in aws_ca_bundle (storage_ca_bundle).' % (endpoint, exc), reason='tls')
        # An unclassified socket error counts as unreachable (the storage role's --check plans past it).
        found = network_failure(reason or 'unreachable', bucket=p['layout']['buckets'][0], endpoint=endpoint,
                                op='ListBucket', waited=p['request_timeout'], host=urlsplit(endpoint).hostname,
                                detail=str(exc))
        module.fail_json(msg='storage_state: %s; %s.' % (found.cause, found.fix), reason=found.reason)
    finally:
        client.close()
    args = (p['layout'], names, keys, rules, p['expiration_days'], p['rule_id'], p['lifecycle'])
    module.exit_json(
        changed=False, buckets=names, prefixes=[k for k, found in keys.items() if k in found],
        lifecycle_rules=rules, drift=_storage_layout.drift(*args), plan=_storage_layout.deploy_plan(*args))


if __name__ == '__main__':
    main()
