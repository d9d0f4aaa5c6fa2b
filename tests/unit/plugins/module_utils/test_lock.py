# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of deployment_lock's pure logic: the record, expiry on the store's clock, decisions, messages."""

import datetime
import json

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils._lock import (
    Lock, decide_acquire, decide_release, held_error, holder_gone, http_date, job_id_from, lock_key, make_record,
    make_release_mark, next_sleep, owner_name, parse_record, refuse_error, release_key, request_budget, store_error,
    untouched_since, validate)
from ansible_collections.gpt371.infra.plugins.module_utils._s3 import bucket_name_problem, endpoint_problem

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def lock(ttl=600, age=0, token='a' * 32, owner='alice@laptop', body=None):
    """A lock written at T0 (Last-Modified), read ``age`` seconds later on the store's clock."""
    record = parse_record(body if body is not None else make_record('prod', owner, token, ttl, T0, None))
    return Lock(record, '"etag"', T0, T0 + datetime.timedelta(seconds=age), default_ttl=3600)


def params(**kwargs):
    p = dict(deployment='prod', bucket='371gpt-assets', prefix='.gpt371-locks/', endpoint_url='http://10.0.0.1:8333',
             region='us-east-1', state='present', ttl=3600, wait_timeout=300.0, poll_interval=5.0,
             request_timeout=10.0, token=None, job_id=None, access_key='AK', secret_key='SK')
    p.update(kwargs)
    return p


def test_record_round_trips_with_owner_token_start_and_ttl():
    record = json.loads(make_record('prod', 'bob@ci (AWX job 42)', 'tok', 900, T0, '42'))
    assert record == {'format': 1, 'deployment': 'prod', 'owner': 'bob@ci (AWX job 42)', 'token': 'tok', 'ttl': 900,
                      'started': '2026-12-03T12:00:00Z', 'job_id': '42'}
    assert parse_record(make_record('prod', 'o', 'tok', 900, T0))['token'] == 'tok'


@pytest.mark.parametrize('body', [b'', b'not json', b'[1, 2]', b'{"ttl": "10", "token": "x"}', b'\xff\xfe'])
def test_a_foreign_object_is_a_lock_held_by_unknown(body):
    record = parse_record(body)
    assert record['token'] is None and record['owner'].startswith('unknown')
    held = lock(body=body, age=10)
    assert held.remaining == 3600 - 10  # the default ttl stands in
    assert decide_acquire(held, 'a' * 32, False) == 'wait'


def test_expiry_is_last_modified_plus_ttl_on_the_store_clock():
    fresh, stale = lock(ttl=600, age=599), lock(ttl=600, age=600)
    assert not fresh.expired and fresh.remaining == 1
    assert stale.expired
    assert fresh.holder()['expires'] == '2026-12-03T12:10:00Z' and fresh.holder()['expires_in'] == 1
    assert 'token' not in fresh.holder()


@pytest.mark.parametrize('state, token, force, expected', [
    (None, None, False, 'acquire'),
    ('ours', 'a' * 32, False, 'renew'),
    ('theirs', 'b' * 32, False, 'wait'),
    ('theirs', None, False, 'wait'),
    ('theirs', None, True, 'break'),
    ('expired', None, False, 'take_over'),
    ('expired', 'a' * 32, False, 'renew'),
])
def test_decide_acquire(state, token, force, expected):
    current = {None: None, 'ours': lock(), 'theirs': lock(), 'expired': lock(ttl=10, age=11)}[state]
    assert decide_acquire(current, token, force) == expected


@pytest.mark.parametrize('state, token, force, expected', [
    (None, None, False, 'none'),
    ('held', 'a' * 32, False, 'release'),
    ('held', 'a' * 32, True, 'release'),
    ('held', 'b' * 32, False, 'refuse'),
    ('held', None, False, 'refuse'),
    ('held', None, True, 'break'),
    ('expired', None, False, 'refuse'),  # an expired lock is still someone's: taken over, never silently removed
])
def test_decide_release(state, token, force, expected):
    current = {None: None, 'held': lock(), 'expired': lock(ttl=10, age=20)}[state]
    assert decide_release(current, token, force) == expected


def test_held_error_names_holder_start_expiry_and_the_break_variable():
    err = held_error('prod', lock(owner='bob@ci (AWX job 42)', age=100), 30.04, 30)
    assert err.cause == ('deployment prod is locked by bob@ci (AWX job 42) since 2026-12-03T12:00:00Z'
                         ' (expires 2026-12-03T12:10:00Z, in 500 s); waited 30.0 s of wait_timeout 30 s')
    assert '-e infra_break_lock=true' in err.fix and 'expires at 2026-12-03T12:10:00Z' in err.fix
    assert err.holder['owner'] == 'bob@ci (AWX job 42)'


def test_refuse_error_says_why():
    assert 'holds no lock (no token)' in refuse_error('prod', lock(), None).cause
    assert 'not the one this run took' in refuse_error('prod', lock(), 'b' * 32).cause
    assert 'infra_break_lock=true' in refuse_error('prod', lock(), None).fix


def test_expired_lock_is_described_as_expired():
    assert 'expired 2026-12-03T12:00:10Z, 50 s ago' in lock(ttl=10, age=60).describe()


@pytest.mark.parametrize('option, value', [
    ('deployment', 'prod east'), ('deployment', ''), ('deployment', '-x'), ('deployment', 'a' * 64),
    ('bucket', 'Bad_Bucket'), ('prefix', '../'), ('prefix', 'locks'), ('endpoint_url', 'ftp://x'),
    ('endpoint_url', 'http://h:0'), ('region', 'us east'), ('ttl', 9), ('wait_timeout', -0.1),
    ('poll_interval', 0), ('request_timeout', 0), ('token', 'short'), ('job_id', 'a b'),
    ('access_key', ''), ('secret_key', None), ('since', -1.0), ('since', T0.timestamp() + 5),
])
def test_validate_names_the_option(option, value):
    err = validate(params(**{option: value}), bucket_name_problem, endpoint_problem, now=T0.timestamp())
    assert err is not None and err.option == option
    assert err.msg.startswith('option %s' % option)


def test_validate_accepts_the_defaults_and_hides_token_values():
    assert validate(params(), bucket_name_problem, endpoint_problem) is None
    assert validate(params(state='absent', ttl=0), bucket_name_problem, endpoint_problem) is None
    assert validate(params(prefix='', endpoint_url=None), bucket_name_problem, endpoint_problem) is None
    assert validate(params(since=T0.timestamp() - 30), bucket_name_problem, endpoint_problem, now=T0.timestamp()) is None
    err = validate(params(token='secret value!'), bucket_name_problem, endpoint_problem)
    assert 'secret value' not in err.msg


def test_owner_and_job_id():
    assert owner_name('alice', 'laptop') == 'alice@laptop'
    assert owner_name('awx', 'awx-task', '42') == 'awx@awx-task (AWX job 42)'
    assert job_id_from(None, {'JOB_ID': '7'}) == '7'
    assert job_id_from(None, {'AWX_JOB_ID': '8', 'JOB_ID': '7'}) == '8'
    assert job_id_from('9', {'JOB_ID': '7'}) == '9'
    assert job_id_from('', {}) is None
    assert lock_key('.gpt371-locks/', 'prod') == '.gpt371-locks/prod.lock.json'


def test_http_date():
    assert http_date('Thu, 03 Dec 2026 12:00:00 GMT') == T0
    assert http_date(None) is None and http_date('garbage') is None


def test_waits_never_pass_the_deadline():
    assert next_sleep(12.0, 5.0) == 5.0
    assert next_sleep(2.5, 5.0) == 2.5
    assert next_sleep(0.0, 5.0) is None and next_sleep(-1, 5.0) is None
    assert request_budget(30, 10) == 10 and request_budget(2, 10) == 2 and request_budget(-3, 10) == 0.5


def test_store_errors_carry_code_cause_and_fix():
    err = store_error('NoSuchBucket', 'x', 'locks', 'http://s3:9000', 'get_object')
    assert err.code == 'NoSuchBucket' and 'bucket locks for the lock does not exist at http://s3:9000' in err.cause
    assert 'create_bucket' in err.fix
    other = store_error('SlowDown', 'try later', 'locks', None, 'put_object')
    assert other.cause == 'put_object on bucket locks at AWS S3 failed: SlowDown: try later'


def test_a_holder_whose_process_ended_on_this_controller_is_gone():
    """A failed run cannot release its lock: on the same controller its ended process frees it at once."""
    here = {'host': 'ctl', 'pid': 10, 'start': '900'}
    record = {'process': {'host': 'ctl', 'pid': 42, 'start': '500'}}
    assert holder_gone(record, here, lambda pid, start: False)
    assert not holder_gone(record, here, lambda pid, start: pid == 42 and start == '500')
    assert not holder_gone({'process': {'host': 'awx-ee', 'pid': 42, 'start': '500'}}, here,
                           lambda pid, start: False)
    assert not holder_gone({'owner': 'old record, no process'}, here, lambda pid, start: False)
    assert not holder_gone(record, None, lambda pid, start: False)
    assert decide_acquire(lock(), None, False, gone=True) == 'take_over'
    assert decide_acquire(lock(), 'a' * 32, False, gone=True) == 'renew'
    body = make_record('prod', 'o', 'tok', 900, T0, process=record['process'])
    assert json.loads(body)['process'] == {'host': 'ctl', 'pid': 42, 'start': '500'}


def seconds(n):
    return T0 + datetime.timedelta(seconds=n)


@pytest.mark.parametrize('marked, offset, expected', [
    (-10, 0, True),     # the last release long before the reads began
    (-3, 0, True),      # three seconds before: past the margin
    (-2, 0, False),     # within the margin (whole seconds on the store's clock): read again
    (0, 0, False),      # a run released the lock as the reads began
    (5, 0, False),      # ... or while they ran
    (-10, 30, True),    # the store's clock 30 s ahead of this controller's: compared on the store's clock
    (25, 30, True),     # the same release, 5 s before the reads on the store's clock
    (29, 30, False),    # 1 s before: within the margin
    (-10, -30, False),  # the store's clock 30 s behind: that release came 20 s after the reads began
    (None, 0, False),   # no release on record (a lock never given up, or a run older than the mark): read again
])
def test_untouched_since_compares_the_last_release_with_the_reads_on_the_store_clock(marked, offset, expected):
    """The reads began at T0 on this controller; the lock was acquired 20 s later; the store's clock runs
    ``offset`` seconds ahead; ``marked``: the release mark's Last-Modified, seconds after T0 on the store's clock."""
    here_now = T0.timestamp() + 20
    server_now = seconds(20 + offset)
    mark = None if marked is None else seconds(marked)
    assert untouched_since(T0.timestamp(), mark, server_now, here_now) is expected


def test_untouched_since_needs_a_moment_and_a_date():
    assert untouched_since(None, seconds(-10), seconds(20), T0.timestamp() + 20) is False
    assert untouched_since(T0.timestamp(), seconds(-10), None, T0.timestamp() + 20) is False


def test_release_mark_names_who_released_and_when():
    assert release_key('.gpt371-locks/', 'prod') == '.gpt371-locks/prod.released.json'
    mark = json.loads(make_release_mark('prod', 'alice@laptop', T0))
    assert mark == {'format': 1, 'deployment': 'prod', 'released_by': 'alice@laptop', 'released': '2026-12-03T12:00:00Z'}
