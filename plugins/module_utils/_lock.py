# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Pure logic of the deployment_lock module: the lock record, who holds it, what to do, what to say.

One object per deployment in the object storage holds the lock. It is created with a conditional write
(``If-None-Match: *``), so of two runs that start together exactly one gets it; renewing, taking over an expired
lock and releasing are conditional on the ETag read (``If-Match``), so a run only ever replaces the lock it saw.
Expiry is judged on the store's clock (the object's Last-Modified plus its ttl, against the Date of the answer), so
two controllers whose clocks differ agree on it. No I/O here: the module reads and writes, this decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re
import time
from email.utils import parsedate_to_datetime

UTC = datetime.timezone.utc
FORMAT = 1                       # version of the lock record
DEPLOYMENT = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
DEPLOYMENT_FORM = ('a plain deployment name: 1 to 63 letters, digits, dots, hyphens and underscores, starting with a'
                   ' letter or digit (the same rule as the instances role)')
PREFIX = re.compile(r'^((?!\.\.?/)[A-Za-z0-9_.-]+/)*$')   # no '.' or '..' segments
BREAK_HINT = '-e infra_break_lock=true (force: true)'

# Store answers, mapped to (cause, fix); {bucket}, {endpoint}, {op}, {detail} are filled in by store_error().
# The minimum of plugins/module_utils/_s3.py's MESSAGES, copied so the probes' internals can change freely.
STORE_ERRORS = {
    'InvalidAccessKeyId': ('the access key is not known to the store at {endpoint}',
                           'set infra_lock_access_key (default: storage_access_key / STORAGE_ACCESS_KEY) to the'
                           ' provisioned key'),
    'SignatureDoesNotMatch': ('the secret key does not match the access key (signature rejected by {endpoint})',
                              'set infra_lock_secret_key (default: storage_secret_key / STORAGE_SECRET_KEY) to the'
                              ' provisioned secret'),
    'NoSuchBucket': ('bucket {bucket} for the lock does not exist at {endpoint}',
                     'run the storage role first, set infra_lock_bucket to an existing bucket, or'
                     ' infra_lock_create_bucket: true (create_bucket: true)'),
    'AccessDenied': ('{op} on bucket {bucket} is denied for this access key',
                     'grant the key s3:GetObject, s3:PutObject and s3:DeleteObject on the lock prefix of {bucket}'),
    'RequestTimeTooSkewed': ("this controller's clock differs too much from the store's",
                             'synchronise the clock (chrony / systemd-timesyncd)'),
    'BucketAlreadyExists': ('bucket {bucket} belongs to another account',
                            'set infra_lock_bucket to a bucket of this account'),
    'other': ('{op} on bucket {bucket} at {endpoint} failed: {detail}', 'see the storage service logs'),
}


class LockError(Exception):
    """A failure with its cause and fix in plain words, and the option at fault for an input error."""

    def __init__(self, cause, fix, option=None, holder=None, code=None):
        super(LockError, self).__init__(cause)
        self.code = code
        self.cause = cause
        self.fix = fix
        self.option = option
        self.holder = holder

    @property
    def msg(self):
        return '%s; fix: %s' % (self.cause, self.fix)


def invalid(option, value, form, example):
    return LockError('option %s: got %r; expected %s' % (option, value, form),
                     'set %s to %s, for example %s' % (option, form, example), option=option)


def validate(params, bucket_problem, endpoint_problem, now=None):
    """The first input error of the module's params as a LockError, or None; no I/O.

    ``bucket_problem`` and ``endpoint_problem`` are the probes' validators (plugins/module_utils/_s3.py); ``now``
    is this controller's clock (epoch seconds) for O(since).
    """
    p = params
    if not p['deployment'] or not DEPLOYMENT.match(p['deployment']):
        return invalid('deployment', p['deployment'], DEPLOYMENT_FORM, 'prod')
    problem = bucket_problem(p['bucket'])
    if problem:
        return invalid('bucket', p['bucket'], problem, '371gpt-assets')
    if not PREFIX.match(p['prefix'] or ''):
        return invalid('prefix', p['prefix'], 'empty or path segments of letters, digits, dots, hyphens and'
                       ' underscores, each ending in / (no . or .. segment)', '.gpt371-locks/')
    if p['endpoint_url']:
        problem = endpoint_problem(p['endpoint_url'])
        if problem:
            return invalid('endpoint_url', p['endpoint_url'], problem, 'http://10.10.0.1:8333')
    if not p['region'] or any(c.isspace() or c == '/' for c in p['region']):
        return invalid('region', p['region'], 'a region name without spaces or slashes', 'us-east-1')
    if p['state'] == 'present' and p['ttl'] < 10:
        return invalid('ttl', p['ttl'], 'a number of seconds >= 10 (longer than the run it protects)', '3600')
    if p['wait_timeout'] < 0:
        return invalid('wait_timeout', p['wait_timeout'], 'a number of seconds >= 0 (0: do not wait)', '300')
    if p['poll_interval'] <= 0:
        return invalid('poll_interval', p['poll_interval'], 'a number of seconds > 0', '5')
    if p['request_timeout'] <= 0:
        return invalid('request_timeout', p['request_timeout'], 'a number of seconds > 0', '10')
    if p['token'] is not None and not re.match(r'^[A-Za-z0-9_-]{8,128}$', p['token']):
        return invalid('token', '<%d characters>' % len(p['token']), 'the token a previous acquire returned',
                       '"{{ infra_lock_token }}"')
    if p.get('since') is not None and not 0 <= p['since'] <= (time.time() if now is None else now):
        return invalid('since', p['since'], 'a past moment in seconds since the epoch (this controller\'s clock)',
                       '"{{ now(utc=true).timestamp() }}" taken before the reads')
    if p['job_id'] is not None and not re.match(r'^[A-Za-z0-9_.-]{1,64}$', str(p['job_id'])):
        return invalid('job_id', p['job_id'], 'an AWX job id (digits)', '42')
    if not (p['access_key'] and p['secret_key']):
        option = 'access_key' if not p['access_key'] else 'secret_key'
        return LockError('option %s is empty: the lock store needs credentials' % option,
                         'set infra_lock_access_key and infra_lock_secret_key (default: storage_access_key and'
                         ' storage_secret_key, or STORAGE_ACCESS_KEY / STORAGE_SECRET_KEY in the environment)',
                         option=option)
    return None


def lock_key(prefix, deployment):
    return '%s%s.lock.json' % (prefix or '', deployment)


def release_key(prefix, deployment):
    """The release mark: rewritten by every release (and break) just before the lock object is deleted."""
    return '%s%s.released.json' % (prefix or '', deployment)


def make_release_mark(deployment, owner, released):
    return json.dumps({'format': FORMAT, 'deployment': deployment, 'released_by': owner, 'released': iso(released)},
                      sort_keys=True).encode('utf-8')


# Date and Last-Modified have whole seconds: 1 s of rounding, and a second more to spare.
QUIET_MARGIN = 2.0


def untouched_since(since, marked, server_now, here_now, margin=QUIET_MARGIN):
    """True when no other run released the lock at ``since`` (epoch seconds, this controller's clock) or later.

    Called after a lock was acquired fresh (there was none to wait for, take over or break): any run that held
    the lock after ``since`` released it since, and every release rewrites the mark first. ``marked`` is the mark's
    Last-Modified (None: no mark, so no release is on record and nothing is claimed), ``server_now`` the Date of the
    answer that read it, ``here_now`` this controller's clock (epoch seconds) once the answer was in. The store's
    clock is taken as ``server_now`` minus ``here_now``: never ahead of the true offset (the Date was stamped before
    the answer arrived), so ``since`` is never placed later on the store's clock than it was.
    """
    if since is None or marked is None or server_now is None:
        return False
    offset = server_now.timestamp() - here_now
    return marked.timestamp() < since + offset - margin


def job_id_from(explicit, environ):
    """The AWX job id: the option (tower_job_id / awx_job_id), else JOB_ID / AWX_JOB_ID of the environment."""
    if explicit not in (None, ''):
        return str(explicit)
    for name in ('AWX_JOB_ID', 'JOB_ID'):
        if environ.get(name):
            return str(environ[name])
    return None


def owner_name(user, host, job_id=None):
    """``user@host``, with ``(AWX job N)`` when the run is an AWX job."""
    name = '%s@%s' % (user or 'unknown', host or 'unknown')
    return '%s (AWX job %s)' % (name, job_id) if job_id else name


def iso(moment):
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def make_record(deployment, owner, token, ttl, started, job_id=None, renewed=None, process=None):
    """The lock object's body (JSON bytes). ``started``/``renewed`` are datetimes of the controller, for people.

    ``process`` ({host, pid, start}) is the run's ansible-playbook process, so that a later run on the same
    controller can tell a holder that is gone (it failed or was killed before releasing) from one still running.
    """
    record = {'format': FORMAT, 'deployment': deployment, 'owner': owner, 'token': token, 'ttl': int(ttl),
              'started': iso(started), 'job_id': job_id}
    if process:
        record['process'] = process
    if renewed:
        record['renewed'] = iso(renewed)
    return json.dumps(record, sort_keys=True).encode('utf-8')


def parse_record(body):
    """The lock record of an object body, or a placeholder record when the body is not ours (held, unreadable)."""
    try:
        record = json.loads(body.decode('utf-8'))
        if isinstance(record, dict) and isinstance(record.get('ttl'), int) and record.get('token'):
            return record
    except (ValueError, UnicodeDecodeError, AttributeError):
        pass
    return {'format': None, 'owner': 'unknown (the lock object is not a lock record)', 'token': None, 'ttl': None,
            'started': None, 'job_id': None}


def http_date(value):
    """A datetime (UTC) from an HTTP Date header, or None."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Lock:
    """The lock as read: its record, ETag, and expiry on the store's clock.

    ``modified`` is the object's Last-Modified, ``server_now`` the Date of the answer that read it (both from the
    store); ``default_ttl`` stands in for a record without one (a foreign or broken object).
    """

    def __init__(self, record, etag, modified, server_now, default_ttl):
        self.record = record
        self.etag = etag
        self.modified = modified
        self.server_now = server_now
        ttl = record.get('ttl') if isinstance(record.get('ttl'), int) else default_ttl
        self.expires = modified + datetime.timedelta(seconds=ttl)
        self.remaining = (self.expires - server_now).total_seconds()

    @property
    def expired(self):
        return self.remaining <= 0

    @property
    def owner(self):
        return self.record.get('owner') or 'unknown'

    def held_by(self, token):
        return bool(token) and self.record.get('token') == token

    def holder(self):
        """What the module returns about the holder: no token (it would let anyone release the lock)."""
        return {'owner': self.owner, 'job_id': self.record.get('job_id'),
                'started': self.record.get('started') or iso(self.modified),
                'renewed': self.record.get('renewed'), 'expires': iso(self.expires),
                'expires_in': int(self.remaining), 'expired': self.expired}

    def describe(self):
        started = self.record.get('started') or iso(self.modified)
        if self.expired:
            return '%s since %s (expired %s, %d s ago)' % (self.owner, started, iso(self.expires), -self.remaining)
        return '%s since %s (expires %s, in %d s)' % (self.owner, started, iso(self.expires), self.remaining)


def holder_gone(record, here, alive):
    """True when the holder ran on this controller (``here``: {host, ...}) and its process no longer runs.

    ``alive(pid, start)`` says whether that process (pid and start time, so a reused pid does not count) runs.
    A holder on another machine, or one that recorded no process, is never judged gone: only its expiry frees it.
    """
    process = record.get('process') if isinstance(record, dict) else None
    if not isinstance(process, dict) or not here or process.get('host') != here.get('host'):
        return False
    return not alive(process.get('pid'), process.get('start'))


def decide_acquire(lock, token, force, gone=False):
    """What state=present does with the lock as read: acquire, renew, take_over, break or wait."""
    if lock is None:
        return 'acquire'
    if lock.held_by(token):
        return 'renew'
    if lock.expired or gone:
        return 'take_over'
    return 'break' if force else 'wait'


def decide_release(lock, token, force):
    """What state=absent does with the lock as read: none, release, break or refuse."""
    if lock is None:
        return 'none'
    if lock.held_by(token):
        return 'release'
    return 'break' if force else 'refuse'


def held_error(deployment, lock, waited, wait_timeout):
    return LockError(
        'deployment %s is locked by %s; waited %.1f s of wait_timeout %s s' % (
            deployment, lock.describe(), waited, _num(wait_timeout)),
        'wait for that run to end (or raise infra_lock_wait_timeout); if it crashed, its lock expires at %s, or'
        ' break it now with %s' % (iso(lock.expires), BREAK_HINT),
        holder=lock.holder())


def refuse_error(deployment, lock, token):
    why = 'this run holds no lock (no token)' if not token else 'the lock is not the one this run took'
    return LockError(
        'deployment %s is locked by %s and %s; not released' % (deployment, lock.describe(), why),
        'let that run release it, or break the lock with %s' % BREAK_HINT, holder=lock.holder())


def store_error(code, message, bucket, endpoint, op):
    cause, fix = STORE_ERRORS.get(code, STORE_ERRORS['other'])
    fields = dict(bucket=bucket, endpoint=endpoint or 'AWS S3', op=op,
                  detail='%s: %s' % (code, message) if message else code)
    return LockError(cause.format(**fields), fix.format(**fields), code=code)


def next_sleep(remaining, poll_interval):
    """Seconds to sleep before the next look at the lock: never past the deadline; None when time is up."""
    if remaining <= 0:
        return None
    return min(poll_interval, remaining)


def request_budget(remaining, request_timeout, floor=0.5):
    """Connect/read timeout of the next call, so that a failed wait ends within the deadline (+ floor)."""
    return max(floor, min(request_timeout, remaining))


def _num(value):
    return ('%d' % value) if float(value) == int(value) else ('%.1f' % value)
