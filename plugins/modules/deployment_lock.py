#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: deployment_lock
short_description: One run per deployment at a time, across controllers, by a lock object in the object storage
version_added: 0.3.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Takes (O(state=present)) or releases (O(state=absent)) the lock of one deployment. The lock is one object,
    C(<prefix><deployment>.lock.json) in O(bucket) of the S3-compatible object storage, so it holds across
    controllers (a laptop and AWX) that use the same store.
  - The object records the owner (C(user@host), with the AWX job id when the run is an AWX job), a token for the
    run that took it, the start time and a time to live (O(ttl)). Its expiry is the object's Last-Modified plus
    O(ttl) on the store's clock, compared with the Date of the store's answer, so controllers whose clocks differ
    agree on it.
  - O(state=present) creates the object with a conditional write (C(If-None-Match) set to C(*)); of two runs that start
    together exactly one gets it. The other polls every O(poll_interval) seconds, up to O(wait_timeout) seconds,
    and then fails naming the holder, its start time and its expiry. A lock past its expiry (a crashed run) is
    taken over with a write conditional on the ETag read (C(If-Match)), and the run says so with a warning.
    With the token of a lock this run holds, the lock is renewed (its expiry starts again).
  - O(state=absent) releases the lock only when O(token) is the token of the lock (the run that took it), with a
    delete conditional on the ETag read. Just before, it rewrites the release mark, C(<prefix><deployment>.released.json),
    whose Last-Modified tells a later run (O(since)) when the lock was last given up. O(force=true) breaks a lock held by another run (the
    C(-e infra_break_lock=true) case); with O(state=present) it breaks the other run's lock and takes it.
  - Check mode reads the lock and reports what the task would do (RV(action)), writing nothing and not waiting.
  - Input errors (a deployment name, a bucket name, an endpoint, a number out of range, missing credentials) fail
    before any network call, naming the option and the valid form.
notes:
  - B(A run that failed.) A run that stops on the controller (a failed provisioning task) cannot release its lock;
    the lock records the run's C(ansible-playbook) process (host, pid, start time), so a later run on the same
    controller sees that process is gone and takes the lock over at once, saying whose it was. A holder on another
    machine (an AWX job) is freed only by its expiry (O(ttl)) or O(force).
  - B(Why a conditional write.) S3 (since August 2024), Ceph RGW, MinIO and moto (the lab's store and the tests')
    answer a C(PUT) with C(If-None-Match) set to C(*) on an existing key with C(412 PreconditionFailed); the create is
    atomic in S3 and Ceph RGW. moto 5.2.5 honours the condition, but checks and writes in two steps without a lock,
    so two writes within the same millisecond could in theory both pass there. Every acquire therefore reads the
    object back after a short pause (0.25 s) and holds the lock only when the token read is its own; of writes that
    raced, only the last one's author reads its own token.
  - After winning, the module writes the same body once more with C(If-None-Match) set to C(*). A store that
    accepts that write ignores conditional writes, so no lock there is exclusive; the module then removes its
    object and fails naming the store, rather than claiming a lock it cannot hold.
  - Release, renewal and takeover send C(If-Match) with the ETag read. A store that ignores C(If-Match) on
    C(DELETE) (S3 general purpose buckets before 2025, older Ceph RGW) leaves a window of one round trip between
    the read that showed our token and the delete, in which another run could take over an expired lock and lose
    it again; keep O(ttl) longer than the longest run to avoid it.
  - Every call to the store is one try (no retries underneath) bounded by O(request_timeout) and by what is
    left of O(wait_timeout) once the task waits (at least half a second to connect and half to read), and no
    look at the lock starts that would end after O(wait_timeout), so a failed wait ends within O(wait_timeout)
    plus one second (in the tests, within 0.3 s of it).
  - No credential and no other run's token is ever returned or logged.
  - The module signs its requests itself (AWS Signature Version 4, the probes' S3 client) on the Python standard
    library, over one connection per run, so it needs no boto3 on the controller.
options:
  access_key:
    description: Access key id. Falls back to E(STORAGE_ACCESS_KEY), then E(AWS_ACCESS_KEY_ID).
    type: str
    aliases: [aws_access_key_id]
  addressing_style:
    description:
      - V(path) puts the bucket in the URL path (S3-compatible stores); V(auto) uses it when O(endpoint_url) is set.
    type: str
    default: auto
    choices: [auto, path, virtual]
  bucket:
    description:
      - Bucket that holds the lock objects (it must exist, unless O(create_bucket=true)).
      - Falls back to E(STORAGE_BUCKET).
    type: str
    default: 371gpt-assets
  ca_cert:
    description: CA certificate bundle (PEM) to verify the endpoint's certificate with.
    type: path
  create_bucket:
    description:
      - Create O(bucket) when it does not exist (not in check mode). An answer that the bucket is already ours
        (C(BucketAlreadyOwnedByYou), or C(200) on AWS us-east-1) is success; C(BucketAlreadyExists) fails.
    type: bool
    default: false
  deployment:
    description: The deployment the lock is for (C(infra_deployment)); a plain name as the instances role allows.
    type: str
    required: true
  endpoint_url:
    description:
      - URL of the S3-compatible endpoint; falls back to E(STORAGE_ENDPOINT), then E(AWS_ENDPOINT_URL).
      - Leave unset for AWS S3.
    type: str
  force:
    description:
      - With O(state=absent), release the lock even when another run holds it.
      - With O(state=present), break another run's lock at once and take it (without waiting).
    type: bool
    default: false
  job_id:
    description:
      - The AWX job id shown in the owner (pass C(tower_job_id) / C(awx_job_id)). Falls back to E(AWX_JOB_ID), then
        E(JOB_ID).
    type: str
  owner:
    description: Who holds the lock, as people read it. Default C(user@host), with C( (AWX job N)) in an AWX job.
    type: str
  poll_interval:
    description: Seconds between looks at a lock another run holds.
    type: float
    default: 5.0
  prefix:
    description: Key prefix of the lock objects (empty, or segments ending in V(/)).
    type: str
    default: .gpt371-locks/
  region:
    description: Region name. Falls back to E(AWS_REGION), then E(AWS_DEFAULT_REGION).
    type: str
    default: us-east-1
  since:
    description:
      - A moment of this run (seconds since the epoch on this controller's clock), typically the start of the
        reads it made before taking the lock (playbooks/precheck.yml's). With it, a lock acquired fresh also says
        whether another run can have changed the deployment since then (RV(untouched_since)), so that the run may
        use those reads instead of reading again.
    type: float
  request_timeout:
    description: Seconds to connect and to wait for each answer of the store (one try per call).
    type: float
    default: 10.0
  secret_key:
    description: Secret key. Falls back to E(STORAGE_SECRET_KEY), then E(AWS_SECRET_ACCESS_KEY). Never logged.
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description: Session token for temporary credentials. Falls back to E(AWS_SESSION_TOKEN). Never logged.
    type: str
  state:
    description: V(present) takes (or renews) the lock; V(absent) releases it.
    type: str
    default: present
    choices: [absent, present]
  token:
    description:
      - The RV(token) an earlier O(state=present) of this run returned. Needed to release or renew the lock.
    type: str
  ttl:
    description:
      - Seconds the lock lives after it was taken or renewed; longer than the run it protects. After it, another run
        takes the lock over.
    type: int
    default: 3600
  validate_certs:
    description: Verify the endpoint's TLS certificate.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a lock another run holds before failing; V(0) fails at once.
    type: float
    default: 300
attributes:
  check_mode:
    support: full
    description: Reads the lock and reports RV(action); writes nothing and does not wait.
seealso:
  - module: gpt371.infra.s3_probe
'''

EXAMPLES = r'''
- name: Take the lock of the deployment
  gpt371.infra.deployment_lock:
    deployment: prod
    endpoint_url: "{{ storage_endpoint_url }}"
    access_key: "{{ storage_access_key }}"
    secret_key: "{{ storage_secret_key }}"
    wait_timeout: 600
    job_id: "{{ tower_job_id | default(omit) }}"
  register: lock

- name: Release it at the end of the run
  gpt371.infra.deployment_lock:
    deployment: prod
    state: absent
    token: "{{ lock.token }}"
    endpoint_url: "{{ storage_endpoint_url }}"
    access_key: "{{ storage_access_key }}"
    secret_key: "{{ storage_secret_key }}"

- name: Break the lock of a crashed run
  gpt371.infra.deployment_lock:
    deployment: prod
    state: absent
    force: true
    endpoint_url: "{{ storage_endpoint_url }}"
    access_key: "{{ storage_access_key }}"
    secret_key: "{{ storage_secret_key }}"
'''

RETURN = r'''
action:
  description:
    - What the task did, or in check mode would do. V(acquire) (the lock was free), V(renew) (this run held it),
      V(take_over) (it had expired, or its run on this controller had ended), V(break) (another run's lock, with
      O(force)), V(release) (this run's lock was removed), V(none) (no lock to release), V(wait) (check mode only, another run holds it) or V(refuse)
      (another run holds the lock O(state=absent) would remove).
  returned: always
  type: str
  sample: acquire
bucket:
  description: The bucket of the lock object.
  returned: always
  type: str
  sample: 371gpt-assets
deployment:
  description: The deployment.
  returned: always
  type: str
  sample: prod
expires:
  description: When the lock this run holds expires (UTC, on the store's clock).
  returned: when this run holds the lock
  type: str
  sample: '2026-12-03T13:00:00Z'
holder:
  description:
    - The run that holds the lock (C(owner), C(job_id), C(started), C(renewed), C(expires), C(expires_in) seconds,
      C(expired)), without its token.
  returned: when a lock was found; on failure when another run holds it
  type: dict
  sample: {owner: alice@laptop, job_id: null, started: '2026-12-03T12:00:00Z', renewed: null,
           expires: '2026-12-03T13:00:00Z', expires_in: 3542, expired: false}
key:
  description: Key of the lock object.
  returned: always
  type: str
  sample: .gpt371-locks/prod.lock.json
msg:
  description: What happened, or why not, with the fix.
  returned: always
  type: str
owner:
  description: The owner this run writes into the lock.
  returned: always
  type: str
  sample: awx@awx-task (AWX job 42)
previous_holder:
  description: The lock that was taken over, broken or released (as RV(holder)).
  returned: when the action was take_over, break or release
  type: dict
untouched_since:
  description:
    - True when no other run held the lock at O(since) or later, so no run that takes the lock can have changed the
      deployment since (a run with the lock turned off is not seen). Only a lock acquired at once can say so (not
      one waited for, taken over or broken), and only when the release mark of the last run is older than
      O(since) by over two seconds (the store's clock has whole seconds); otherwise false, also when the store
      does not give the mark (a warning says so; the lock is held all the same).
  returned: when O(since) is given, O(state=present) and not in check mode
  type: bool
  sample: true
token:
  description: The token of the lock this run holds; pass it as O(token) to release or renew the lock.
  returned: when this run holds the lock (not in check mode)
  type: str
option:
  description: The option at fault, for an input error (also for missing credentials).
  returned: on failure caused by an option
  type: str
  sample: deployment
waited:
  description: Seconds spent waiting for another run's lock.
  returned: always
  type: float
  sample: 0.0
'''

import datetime
import getpass
import os
import socket
import time
import uuid

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible_collections.gpt371.infra.plugins.module_utils._http import HTTP_ERRORS
from ansible_collections.gpt371.infra.plugins.module_utils._lock import (
    LockError, Lock, decide_acquire, decide_release, held_error, holder_gone, http_date, iso, job_id_from, lock_key,
    make_record, make_release_mark, owner_name, parse_record, refuse_error, release_key, request_budget, next_sleep,
    store_error, untouched_since, validate)
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import (
    S3Client, S3Error, bucket_name_problem, endpoint_problem, endpoint_tls_context)

SETTLE = 0.25          # seconds between a won write and the read that confirms it (see the notes)
CONFLICT = ('PreconditionFailed', '412', 'ConditionalRequestConflict', '409')
JSON = 'application/json'
MISSING = ('NoSuchKey', '404', 'NotFound')


def _proc_stat(pid):
    """(ppid, start time) of a process from /proc, or None when it does not run (or there is no /proc)."""
    try:
        with open('/proc/%d/stat' % int(pid)) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        return int(fields[1]), fields[19]
    except (OSError, ValueError, IndexError, TypeError):
        return None


def process_alive(pid, start):
    stat = _proc_stat(pid)
    return stat is not None and stat[1] == start


def _is_playbook(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')[:2]
    except OSError:
        return False
    return any(os.path.basename(arg) == b'ansible-playbook' for arg in argv)


def run_process():
    """This run's ansible-playbook process as {host, pid, start}, or None.

    The topmost ancestor of the module that runs ansible-playbook: its task workers are forks with the same
    command line, and they end with each task, while the top one lives as long as the run.
    """
    found, pid = None, os.getppid()
    for _dummy in range(16):
        stat = _proc_stat(pid)
        if stat is None:
            break
        if _is_playbook(pid):
            found = {'host': socket.gethostname(), 'pid': pid, 'start': stat[1]}
        elif found is not None:
            break
        if stat[0] <= 1:
            break
        pid = stat[0]
    return found


class Conflict(Exception):
    """A conditional write or delete lost: the object is not what we read."""


class DeploymentLock:
    def __init__(self, module):
        self.module = module
        self.p = p = module.params
        self.key = lock_key(p['prefix'], p['deployment'])
        self.mark_key = release_key(p['prefix'], p['deployment'])
        self.job_id = job_id_from(p['job_id'], os.environ)
        self.owner = p['owner'] or owner_name(getpass.getuser(), socket.gethostname(), self.job_id)
        self.process = run_process()
        self.gone = False
        self.endpoint = p['endpoint_url'] or 'AWS S3'
        self.start = time.monotonic()
        self.deadline = self.start + p['wait_timeout']
        self.store = None
        self.waiting = False
        self.waited = 0.0
        self.result = dict(changed=False, deployment=p['deployment'], bucket=p['bucket'], key=self.key,
                           owner=self.owner, waited=0.0)

    # -- the store --------------------------------------------------------------------------------

    def client(self):
        """The store's client: one connection for every call of this run."""
        if self.store is None:
            p = self.p
            self.store = S3Client(p['endpoint_url'] or None, p['region'], p['access_key'], p['secret_key'],
                                  p['session_token'], style=p['addressing_style'],
                                  ssl_context=endpoint_tls_context(p['endpoint_url'], p['validate_certs'],
                                                                   p['ca_cert']),
                                  timeout=p['request_timeout'])
        return self.store

    def budget(self):
        """The timeout of the next call: from the first wait on, none may outlast the deadline by over a second."""
        budget = self.p['request_timeout']
        if self.waiting:
            budget = round(request_budget(self.deadline - time.monotonic(), budget), 1)
        return budget

    def call(self, op, method, key='', body=b'', headers=None, query=()):
        """One call to the store: (headers, body) of its answer; store and network errors become LockError, lost
        conditions Conflict, a missing object None (get and delete)."""
        try:
            _status, answer, data = self.client().call(method, self.p['bucket'], key, query=query, body=body,
                                                       timeout=self.budget(), headers=headers)
            return answer, data
        except S3Error as exc:
            code = str(exc.code)
            if code in CONFLICT:
                raise Conflict(code)
            if code in MISSING and op in ('get_object', 'delete_object'):
                return None
            if code in MISSING and op == 'head_bucket':  # HEAD has no body: a bare 404 is the bucket
                code = 'NoSuchBucket'
            raise store_error(code, exc.message, self.p['bucket'], self.p['endpoint_url'], op)
        except HTTP_ERRORS as exc:
            raise LockError('cannot use the lock store at %s (%s): %s' % (self.endpoint, op, exc),
                            'check infra_lock_endpoint_url (default: storage_endpoint_url) and that the object'
                            ' storage is running and reachable from this controller')

    def read(self):
        answer = self.call('get_object', 'GET', self.key)
        if answer is None:
            return None
        headers, body = answer
        server_now = http_date(headers.get('date')) or datetime.datetime.now(datetime.timezone.utc)
        modified = http_date(headers.get('last-modified')) or server_now
        return Lock(parse_record(body), headers.get('etag'), modified, server_now, self.p['ttl'])

    def ensure_bucket(self):
        try:
            self.call('head_bucket', 'HEAD')
            return True
        except LockError as exc:
            if exc.code != 'NoSuchBucket':
                raise
        if self.module.check_mode:
            self.module.warn('bucket %s does not exist; it would be created' % self.p['bucket'])
            return False
        body = b''
        if self.p['region'] != 'us-east-1':
            body = ('<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>'
                    '%s</LocationConstraint></CreateBucketConfiguration>' % self.p['region']).encode('utf-8')
        try:
            self.call('create_bucket', 'PUT', body=body)
        except LockError as exc:
            if exc.code != 'BucketAlreadyOwnedByYou':  # 409 outside us-east-1; AWS us-east-1 answers 200
                raise
        return True

    # -- acquire ------------------------------------------------------------------------------------

    def write(self, lock, token, started, renewed=None):
        """Write our record: a new object, or in place of ``lock`` (its ETag); Conflict when we lost."""
        body = make_record(self.p['deployment'], self.owner, token, self.p['ttl'], started, self.job_id, renewed,
                           self.process)
        condition = {'If-None-Match': '*'} if lock is None else {'If-Match': lock.etag}
        self.put(body, condition)
        return body

    def put(self, body, condition):
        self.call('put_object', 'PUT', self.key, body=body, headers=dict(condition, **{'Content-Type': JSON}))

    def confirm(self, token, body):
        """Read back after a pause: the lock is ours only if our token is what the store holds."""
        time.sleep(SETTLE)
        lock = self.read()
        if lock is None or not lock.held_by(token):
            return None
        try:  # a store that accepts this write ignores If-None-Match: no lock there would be exclusive
            self.put(body, {'If-None-Match': '*'})
        except Conflict:
            return lock
        self.call('delete_object', 'DELETE', self.key)
        raise LockError('the object storage at %s ignores If-None-Match on PUT, so a lock there is not exclusive'
                        ' (a second conditional create of %s succeeded)' % (self.endpoint, self.key),
                        'use an S3 store that honours conditional writes (AWS S3, Ceph RGW, MinIO, moto >= 5) for'
                        ' infra_lock_endpoint_url')

    def present(self):
        p, check = self.p, self.module.check_mode
        token = p['token'] or uuid.uuid4().hex
        if p['create_bucket'] and not self.ensure_bucket():
            return self.planned('acquire', None)  # check mode: no bucket yet, so no lock either
        seen = None
        while True:
            looked = time.monotonic()
            lock = self.read()
            cost = time.monotonic() - looked  # what the next look will take, about
            self.gone = gone = lock is not None and holder_gone(lock.record, self.process, process_alive)
            action = decide_acquire(lock, p['token'], p['force'], gone)
            if lock is not None:
                self.result['holder'] = lock.holder()
            if check:
                return self.planned(action, lock)
            if action == 'wait':
                self.waiting = True
                if seen is None or seen.owner != lock.owner:
                    seen = lock
                # No look that would end past the deadline: the last one is as fresh as that one would be.
                pause = next_sleep(self.deadline - time.monotonic() - cost, p['poll_interval'])
                if pause is None:
                    self.waited = time.monotonic() - self.start
                    raise held_error(p['deployment'], lock, self.waited, p['wait_timeout'])
                time.sleep(pause)
                continue
            started = datetime.datetime.now(datetime.timezone.utc)
            renewed = None
            if action == 'renew':
                renewed, started = started, lock.record.get('started') or started
                started = started if isinstance(started, datetime.datetime) else _parse_iso(started)
            try:
                body = self.write(None if action == 'acquire' else lock, token, started, renewed)
            except Conflict:
                if action == 'renew':
                    raise LockError('the lock of deployment %s changed while it was renewed' % p['deployment'],
                                    'the lock was taken over after it expired; raise infra_lock_ttl')
                continue  # another run wrote first: look again (it holds it, or lost to a third)
            mine = self.confirm(token, body)
            if mine is None:
                continue
            self.waited = time.monotonic() - self.start if seen is not None else 0.0
            if p['since'] is not None:
                self.result['untouched_since'] = action == 'acquire' and seen is None and self.quiet_since(p['since'])
            return self.acquired(action, mine, lock, token, seen)

    def quiet_since(self, since):
        """Whether the last release on record (the mark) is older than ``since``; see untouched_since().

        The lock is this run's already: a mark the store will not give claims nothing (the run reads again), and
        the run goes on holding the lock rather than failing with it."""
        try:
            answer = self.call('get_object', 'GET', self.mark_key)
        except LockError as exc:
            self.module.warn('the release mark %s could not be read, so the reads made before the lock are made'
                             ' again: %s' % (self.mark_key, exc.msg))
            return False
        here_now = time.time()
        if answer is None:
            return False
        headers = answer[0]
        return untouched_since(since, http_date(headers.get('last-modified')), http_date(headers.get('date')),
                               here_now)

    def mark_release(self):
        """Rewrite the release mark before the lock goes: a run whose reads predate it reads again."""
        self.call('put_object', 'PUT', self.mark_key, headers={'Content-Type': JSON},
                  body=make_release_mark(self.p['deployment'], self.owner, datetime.datetime.now(datetime.timezone.utc)))

    def why_free(self):
        """Why a lock can be taken over: its run on this controller ended, or it expired."""
        return 'abandoned (its run on this controller has ended)' if self.gone else 'expired'

    def planned(self, action, lock):
        p = self.p
        words = {
            'acquire': 'would take the lock of deployment %s' % p['deployment'],
            'renew': 'would renew the lock this run holds on deployment %s' % p['deployment'],
            'take_over': 'would take over the %s lock of %s' % (self.why_free(), lock.describe() if lock else ''),
            'break': 'would break the lock of %s (force)' % (lock.describe() if lock else ''),
            'wait': 'would wait up to %s s for the lock of deployment %s held by %s' % (
                p['wait_timeout'], p['deployment'], lock.describe() if lock else ''),
            'release': 'would release the lock this run holds on deployment %s' % p['deployment'],
            'none': 'deployment %s is not locked; nothing to release' % p['deployment'],
        }
        self.result.update(action=action, changed=action not in ('wait', 'none'), msg=words[action])
        return self.result

    def acquired(self, action, mine, previous, token, seen):
        p = self.p
        self.result.update(changed=True, action=action, token=token, expires=iso(mine.expires),
                           holder=mine.holder(), waited=round(self.waited, 1))
        msg = 'deployment %s locked by %s until %s (ttl %d s)' % (
            p['deployment'], self.owner, iso(mine.expires), p['ttl'])
        if action in ('take_over', 'break'):
            self.result['previous_holder'] = previous.holder()
            verb = ('took over the %s lock of' % self.why_free()) if action == 'take_over' else 'broke the lock of'
            note = '%s %s' % (verb, previous.describe())
            self.module.warn('deployment %s: %s' % (p['deployment'], note))
            msg += '; ' + note
        elif action == 'renew':
            msg = 'renewed: ' + msg
        if seen is not None:
            note = 'waited %.1f s for the lock held by %s' % (self.waited, seen.describe())
            self.module.warn('deployment %s: %s' % (p['deployment'], note))
            msg += '; ' + note
        self.result['msg'] = msg
        return self.result

    # -- release --------------------------------------------------------------------------------------

    def absent(self):
        p = self.p
        for _attempt in range(3):
            lock = self.read()
            action = decide_release(lock, p['token'], p['force'])
            if lock is not None:
                self.result['holder'] = lock.holder()
            if action == 'refuse':
                raise refuse_error(p['deployment'], lock, p['token'])
            if self.module.check_mode:
                return self.planned(action, lock)
            if action == 'none':
                self.result.update(action='none', msg='deployment %s is not locked; nothing to release'
                                   % p['deployment'])
                return self.result
            self.mark_release()
            try:
                self.call('delete_object', 'DELETE', self.key, headers={'If-Match': lock.etag})
            except Conflict:
                continue  # renewed or taken over since we read it: decide again on what is there now
            self.result.update(changed=True, action=action, previous_holder=lock.holder())
            self.result.pop('holder', None)
            if action == 'break':
                note = 'broke the lock of %s' % lock.describe()
                self.module.warn('deployment %s: %s' % (p['deployment'], note))
                self.result['msg'] = 'deployment %s: %s' % (p['deployment'], note)
            else:
                self.result['msg'] = 'deployment %s: released the lock of %s' % (p['deployment'], lock.owner)
            return self.result
        raise LockError('the lock of deployment %s kept changing while it was released' % p['deployment'],
                        'run again; another run renews or takes over the lock right now')


def _parse_iso(value):
    try:
        return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return datetime.datetime.now(datetime.timezone.utc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            access_key=dict(type='str', no_log=True, aliases=['aws_access_key_id'],
                            fallback=(env_fallback, ['STORAGE_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'])),
            addressing_style=dict(type='str', default='auto', choices=['auto', 'path', 'virtual']),
            bucket=dict(type='str', default='371gpt-assets', fallback=(env_fallback, ['STORAGE_BUCKET'])),
            ca_cert=dict(type='path'),
            create_bucket=dict(type='bool', default=False),
            deployment=dict(type='str', required=True),
            endpoint_url=dict(type='str', fallback=(env_fallback, ['STORAGE_ENDPOINT', 'AWS_ENDPOINT_URL'])),
            force=dict(type='bool', default=False),
            job_id=dict(type='str'),
            owner=dict(type='str'),
            poll_interval=dict(type='float', default=5.0),
            prefix=dict(type='str', default='.gpt371-locks/'),
            region=dict(type='str', default='us-east-1', fallback=(env_fallback, ['AWS_REGION', 'AWS_DEFAULT_REGION'])),
            request_timeout=dict(type='float', default=10.0),
            secret_key=dict(type='str', no_log=True, aliases=['aws_secret_access_key'],
                            fallback=(env_fallback, ['STORAGE_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY'])),
            session_token=dict(type='str', no_log=True, fallback=(env_fallback, ['AWS_SESSION_TOKEN'])),
            since=dict(type='float'),
            state=dict(type='str', default='present', choices=['absent', 'present']),
            token=dict(type='str', no_log=False),
            ttl=dict(type='int', default=3600),
            validate_certs=dict(type='bool', default=True),
            wait_timeout=dict(type='float', default=300.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    key = lock_key(p['prefix'], p['deployment'] or '')
    base = dict(changed=False, deployment=p['deployment'], bucket=p['bucket'], key=key, waited=0.0)
    problem = validate(p, bucket_name_problem, endpoint_problem)
    if problem is None and p['ca_cert'] and not os.path.isfile(p['ca_cert']):
        problem = LockError('option ca_cert: %s is not a file' % p['ca_cert'], 'set ca_cert to a PEM CA bundle',
                            option='ca_cert')
    if problem is not None:
        module.fail_json(msg=problem.msg, option=problem.option, **base)
    lock = DeploymentLock(module)
    try:
        result = lock.present() if p['state'] == 'present' else lock.absent()
    except LockError as exc:
        lock.result.update(waited=round(lock.waited, 1), msg=exc.msg)
        if exc.holder:
            lock.result['holder'] = exc.holder
        if exc.option:
            lock.result['option'] = exc.option
        module.fail_json(**lock.result)
    finally:
        if lock.store is not None:
            lock.store.close()
    module.exit_json(**result)


if __name__ == '__main__':
    main()
