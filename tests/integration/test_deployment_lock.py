"""deployment_lock and playbooks/lock.yml + unlock.yml against a real moto S3 server (IAM auth on).

Only the S3 stand-in of tests/integration/services is started (no PostgreSQL containers): the lock needs nothing
else. Every test uses its own deployment name, so the tests share one server without seeing each other's locks.

Module cases run the module file as its own process (as Ansible runs it) with the args in a file; the process
measures the module's own wall time after its imports (WALL=...), which is what wait_timeout bounds. Playbook
cases run ansible-playbook on localhost as the other integration tests do.
"""
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from services import certs, s3

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(REPO, '.collections')
PYTHON = os.path.join(REPO, '.venv', 'bin', 'python')
PREFIX = '.gpt371-locks/'
RUNNER = r'''
import sys, time
sys.path.insert(0, %r)
from ansible_collections.gpt371.infra.plugins.modules import deployment_lock
start = time.monotonic()
try:
    deployment_lock.main()
finally:
    sys.stderr.write("WALL=%%.3f\n" %% (time.monotonic() - start))
''' % COLLECTIONS


@pytest.fixture(scope='module')
def store(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('lock-s3'))
    pki = certs.make_pki(os.path.join(workdir, 'pki'))
    moto = s3.MotoS3(pki, workdir)
    try:
        info = moto.start()
        info['ca_cert'] = pki['ca_cert']
        info['client'] = s3.client('s3', info['endpoint'], info['access_key'], info['secret_key'])
        yield info
    finally:
        moto.stop()


@contextlib.contextmanager
def moto_behind(wsgi_filter, bucket):
    """Stand-in for an S3 store that misbehaves: moto in this process behind ``wsgi_filter(environ, start_response,
    app)``. Without IAM auth (any key signs); moto's state is separate from the ``store`` fixture's process."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server('127.0.0.1', 0, lambda environ, start_response: wsgi_filter(environ, start_response, app),
                         threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    info = {'endpoint': 'http://127.0.0.1:%d' % server.server_port, 'access_key': 'standin', 'secret_key': 'standin',
            'bucket': bucket}
    info['client'] = s3.client('s3', info['endpoint'], info['access_key'], info['secret_key'])
    info['client'].create_bucket(Bucket=info['bucket'])
    try:
        yield info
    finally:
        server.shutdown()


@pytest.fixture(scope='module')
def store_ignoring_conditions():
    """Stand-in for an S3 store without conditional writes: a filter drops If-None-Match/If-Match."""
    def drop_conditions(environ, start_response, app):
        environ.pop('HTTP_IF_NONE_MATCH', None)
        environ.pop('HTTP_IF_MATCH', None)
        return app(environ, start_response)

    with moto_behind(drop_conditions, 'gpt371-no-conditions') as info:
        yield info


@pytest.fixture(scope='module')
def store_denying_marks():
    """Stand-in for a store that will not give the release marks (a policy denying GetObject on them): 403."""
    def deny_mark_reads(environ, start_response, app):
        if environ['REQUEST_METHOD'] == 'GET' and environ['PATH_INFO'].endswith('.released.json'):
            start_response('403 Forbidden', [('Content-Type', 'application/xml')])
            return [b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
                    b'<Message>Access Denied</Message></Error>']
        return app(environ, start_response)

    with moto_behind(deny_mark_reads, 'gpt371-no-mark-reads') as info:
        yield info


@pytest.fixture
def deployment():
    return 'locktest-%s' % uuid.uuid4().hex[:8]


def lock_object(store, deployment):
    """The lock object's record and ETag, or None."""
    try:
        answer = store['client'].get_object(Bucket=store['bucket'], Key=PREFIX + deployment + '.lock.json')
    except store['client'].exceptions.NoSuchKey:
        return None
    return json.loads(answer['Body'].read()), answer['ETag']


def module_args(store, deployment, **kwargs):
    args = dict(deployment=deployment, endpoint_url=store['endpoint'], access_key=store['access_key'],
                secret_key=store['secret_key'], bucket=store['bucket'], wait_timeout=0, poll_interval=0.5)
    args.update(kwargs)
    return args


class Run(dict):
    """The module's result; ``wall``: the module's own wall time after its imports, ``total``: the process's (s)."""
    wall = total = 0.0


def run_module(tmp_path, args, env=None, check=False):
    """Run the module as Ansible would (its own process, args in a file); a Run."""
    if check:
        args = dict(args, _ansible_check_mode=True)
    path = tmp_path / ('args-%s.json' % uuid.uuid4().hex)
    path.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    started = time.monotonic()
    proc = subprocess.run([PYTHON, '-c', RUNNER, str(path)], capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, **(env or {})))
    total = time.monotonic() - started
    run = Run(json.loads(proc.stdout))
    run.wall, run.total = float(re.search(r'WALL=([0-9.]+)', proc.stderr).group(1)), total
    return run


def write_foreign_lock(store, deployment, owner, ttl):
    """A lock another controller wrote (the same record format), e.g. a run that crashed holding it."""
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.gpt371.infra.plugins.module_utils._lock import make_record
    import datetime
    body = make_record(deployment, owner, uuid.uuid4().hex, ttl, datetime.datetime.now(datetime.timezone.utc), '7')
    store['client'].put_object(Bucket=store['bucket'], Key=PREFIX + deployment + '.lock.json', Body=body,
                               IfNoneMatch='*')


def warned(result):
    """The module's warnings as one string (ansible-core 2.19+ returns them as structured events)."""
    return json.dumps(result.get('warnings', []))


def playbook_vars(store, deployment, **kwargs):
    args = {'infra_deployment': deployment, 'infra_lock_endpoint_url': store['endpoint'],
            'infra_lock_access_key': store['access_key'], 'infra_lock_secret_key': store['secret_key'],
            'infra_lock_bucket': store['bucket'], 'infra_lock_poll_interval': 0.5}
    args.update(kwargs)
    return args


# -- the module ------------------------------------------------------------------------------------------

def test_acquire_renew_release(store, deployment, tmp_path):
    taken = run_module(tmp_path, module_args(store, deployment, job_id='41'))
    assert taken['changed'] and taken['action'] == 'acquire', taken
    record, etag = lock_object(store, deployment)
    assert record['token'] == taken['token'] and record['owner'].endswith('(AWX job 41)'), record
    assert record['ttl'] == 3600 and taken['holder']['expires_in'] > 3590

    renewed = run_module(tmp_path, module_args(store, deployment, token=taken['token'], ttl=7200))
    assert renewed['action'] == 'renew' and renewed['changed'], renewed
    record2, etag2 = lock_object(store, deployment)
    assert record2['ttl'] == 7200 and record2['renewed'] and etag2 != etag
    assert record2['started'] == record['started']

    released = run_module(tmp_path, module_args(store, deployment, state='absent', token=taken['token']))
    assert released['action'] == 'release' and released['changed'], released
    assert lock_object(store, deployment) is None

    again = run_module(tmp_path, module_args(store, deployment, state='absent', token=taken['token']))
    assert again['action'] == 'none' and not again['changed'], again


def release_mark(store, deployment):
    """The release mark's record, or None."""
    try:
        answer = store['client'].get_object(Bucket=store['bucket'], Key=PREFIX + deployment + '.released.json')
    except store['client'].exceptions.NoSuchKey:
        return None
    return json.loads(answer['Body'].read())


def test_untouched_since_tells_whether_another_run_held_the_lock_after_the_reads(store, deployment, tmp_path):
    reads_began = time.time()
    first = run_module(tmp_path, module_args(store, deployment, since=reads_began))
    assert first['action'] == 'acquire' and first['untouched_since'] is False, first  # no release on record
    assert release_mark(store, deployment) is None
    run_module(tmp_path, module_args(store, deployment, state='absent', token=first['token'], owner='other@run'))
    assert release_mark(store, deployment)['released_by'] == 'other@run'

    # That run released the lock after these reads began: they may be stale.
    stale = run_module(tmp_path, module_args(store, deployment, since=reads_began))
    assert stale['untouched_since'] is False, stale
    run_module(tmp_path, module_args(store, deployment, state='absent', token=stale['token']))
    # Reads that began after the last release (plus the store clock's margin) are current.
    time.sleep(3.1)
    current = run_module(tmp_path, module_args(store, deployment, since=time.time()))
    assert current['untouched_since'] is True, current
    # Without since, nothing is claimed; a renewal or a lock waited for claims nothing either.
    assert 'untouched_since' not in run_module(tmp_path, module_args(store, deployment, token=current['token']))
    renewed = run_module(tmp_path, module_args(store, deployment, token=current['token'], since=time.time()))
    assert renewed['action'] == 'renew' and renewed['untouched_since'] is False, renewed
    checked = run_module(tmp_path, module_args(store, deployment, since=time.time()), check=True)
    assert 'untouched_since' not in checked, checked


def test_a_broken_or_taken_over_lock_claims_nothing(store, deployment, tmp_path):
    run_module(tmp_path, module_args(store, deployment, owner='stuck@b'))
    broken = run_module(tmp_path, module_args(store, deployment, state='absent', force=True))
    assert broken['action'] == 'break' and release_mark(store, deployment) is not None  # a break marks it too
    time.sleep(3.1)
    write_foreign_lock(store, deployment, 'crashed@c', ttl=1)  # a run that crashed after its last release
    reads_began = time.time()
    time.sleep(2.1)
    taken = run_module(tmp_path, module_args(store, deployment, since=reads_began))
    assert taken['action'] == 'take_over' and taken['untouched_since'] is False, taken


def test_a_mark_the_store_will_not_give_claims_nothing_and_the_lock_is_held(store_denying_marks, deployment,
                                                                            tmp_path):
    """The lock is the run's already when the mark is read: a store error there is a warning, not a failure."""
    store = store_denying_marks
    first = run_module(tmp_path, module_args(store, deployment))
    released = run_module(tmp_path, module_args(store, deployment, state='absent', token=first['token']))
    assert released['action'] == 'release' and not released.get('failed'), released  # the mark is written
    time.sleep(3.1)
    taken = run_module(tmp_path, module_args(store, deployment, since=time.time()))
    assert not taken.get('failed') and taken['action'] == 'acquire', taken
    assert taken['untouched_since'] is False, taken
    assert 'release mark %s%s.released.json could not be read' % (PREFIX, deployment) in warned(taken), taken
    assert 'get_object on bucket %s is denied for this access key' % store['bucket'] in warned(taken), warned(taken)
    held = store['client'].get_object(Bucket=store['bucket'], Key=PREFIX + deployment + '.lock.json')
    assert json.loads(held['Body'].read())['token'] == taken['token']


def test_over_tls_the_store_is_verified_with_the_ca_given(store, deployment, tmp_path):
    https = dict(store, endpoint=store['endpoint_https'])
    taken = run_module(tmp_path, module_args(https, deployment, ca_cert=store['ca_cert']))
    assert taken['action'] == 'acquire', taken
    untrusted = run_module(tmp_path, module_args(https, deployment + '-2'))  # the system CAs do not know the store
    assert untrusted['failed'] and 'cannot use the lock store at %s' % https['endpoint'] in untrusted['msg']
    assert 'CERTIFICATE_VERIFY_FAILED' in untrusted['msg'], untrusted['msg']
    released = run_module(tmp_path, module_args(https, deployment, state='absent', token=taken['token'],
                                                ca_cert=store['ca_cert']))
    assert released['action'] == 'release', released
    assert lock_object(store, deployment) is None and lock_object(store, deployment + '-2') is None


def test_many_concurrent_acquirers_exactly_one_wins(store, tmp_path):
    for round_ in range(3):
        deployment = 'locktest-race-%d-%s' % (round_, uuid.uuid4().hex[:6])
        with ThreadPoolExecutor(5) as pool:
            runs = list(pool.map(lambda i, d=deployment: run_module(tmp_path, module_args(store, d, owner='run%d' % i)),
                                 range(5)))
        winners = [r for r in runs if not r.get('failed')]
        assert len(winners) == 1, [r.get('msg') for r in runs]
        assert all('locked by %s' % winners[0]['owner'] in r['msg'] for r in runs if r.get('failed'))
        assert lock_object(store, deployment)[0]['token'] == winners[0]['token']


def test_held_lock_fails_after_wait_timeout_naming_the_holder(store, deployment, tmp_path):
    holder = run_module(tmp_path, module_args(store, deployment), env={'AWX_JOB_ID': '501'})
    assert holder['action'] == 'acquire'
    failed = run_module(tmp_path, module_args(store, deployment, wait_timeout=3))
    print('failed wait: module wall %.2f s, process %.2f s (wait_timeout 3)' % (failed.wall, failed.total))
    assert failed['failed']
    assert '(AWX job 501)' in failed['msg'] and 'locked by' in failed['msg'], failed['msg']
    assert 'expires' in failed['msg'] and 'infra_break_lock=true' in failed['msg']
    assert failed['holder']['job_id'] == '501' and 'token' not in failed['holder']
    assert 3 - 1 <= failed.wall <= 3 + 1, failed.wall
    assert failed['waited'] >= 2
    # nothing of the loser's was written
    assert lock_object(store, deployment)[0]['token'] == holder['token']


def test_wait_ends_when_the_holder_releases(store, deployment, tmp_path):
    holder = run_module(tmp_path, module_args(store, deployment, owner='first-run'))
    with ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(run_module, tmp_path, module_args(store, deployment, wait_timeout=20))
        time.sleep(2.5)
        run_module(tmp_path, module_args(store, deployment, state='absent', token=holder['token']))
        taken = waiter.result()
    assert taken['action'] == 'acquire' and taken['changed'], taken
    assert 2.0 <= taken['waited'] <= 6.0 and taken.wall < 10, (taken['waited'], taken.wall)
    assert 'waited' in warned(taken) and 'first-run' in warned(taken), warned(taken)
    assert lock_object(store, deployment)[0]['token'] == taken['token']


def test_expired_lock_is_taken_over_and_the_run_says_so(store, deployment, tmp_path):
    write_foreign_lock(store, deployment, 'crashed@ci (AWX job 7)', ttl=1)
    time.sleep(2.2)  # Last-Modified has one-second resolution
    taken = run_module(tmp_path, module_args(store, deployment))
    assert taken['action'] == 'take_over' and taken['changed'], taken
    assert taken['previous_holder']['owner'] == 'crashed@ci (AWX job 7)'
    assert taken['previous_holder']['expired'] is True
    assert 'took over the expired lock of crashed@ci' in warned(taken), warned(taken)
    assert lock_object(store, deployment)[0]['token'] == taken['token']


def test_unexpired_foreign_lock_is_not_taken_over(store, deployment, tmp_path):
    write_foreign_lock(store, deployment, 'busy@laptop', ttl=600)
    failed = run_module(tmp_path, module_args(store, deployment))
    assert failed['failed'] and 'busy@laptop' in failed['msg'] and failed['holder']['expires_in'] > 590


def test_release_by_a_non_holder_is_refused(store, deployment, tmp_path):
    holder = run_module(tmp_path, module_args(store, deployment, owner='holder@a'))
    for token in ('0' * 32, None):
        args = module_args(store, deployment, state='absent', token=token)
        refused = run_module(tmp_path, args)
        assert refused['failed'] and 'holder@a' in refused['msg'] and 'not released' in refused['msg'], refused
        assert 'infra_break_lock=true' in refused['msg']
    assert lock_object(store, deployment)[0]['token'] == holder['token']


def test_force_breaks_a_held_lock(store, deployment, tmp_path):
    run_module(tmp_path, module_args(store, deployment, owner='stuck@b'))
    broken = run_module(tmp_path, module_args(store, deployment, state='absent', force=True))
    assert broken['action'] == 'break' and broken['changed'] and broken['previous_holder']['owner'] == 'stuck@b'
    assert 'broke the lock of stuck@b' in warned(broken)
    assert lock_object(store, deployment) is None

    run_module(tmp_path, module_args(store, deployment, owner='stuck@c'))
    taken = run_module(tmp_path, module_args(store, deployment, force=True, owner='me@d'))
    assert taken['action'] == 'break' and taken['previous_holder']['owner'] == 'stuck@c'
    assert lock_object(store, deployment)[0]['owner'] == 'me@d'


def test_check_mode_writes_nothing(store, deployment, tmp_path):
    plan = run_module(tmp_path, module_args(store, deployment), check=True)
    assert plan['action'] == 'acquire' and plan['changed'] and 'token' not in plan, plan
    assert lock_object(store, deployment) is None
    plan = run_module(tmp_path, module_args(store, deployment, bucket='gpt371-check-bucket', create_bucket=True),
                      check=True)
    assert plan['action'] == 'acquire' and 'would be created' in warned(plan), plan
    assert 'gpt371-check-bucket' not in [b['Name'] for b in store['client'].list_buckets()['Buckets']]

    holder = run_module(tmp_path, module_args(store, deployment, owner='holder@e'))
    before = lock_object(store, deployment)
    for args, action in ((module_args(store, deployment, wait_timeout=30), 'wait'),
                         (module_args(store, deployment, force=True), 'break'),
                         (module_args(store, deployment, state='absent', force=True), 'break'),
                         (module_args(store, deployment, state='absent', token=holder['token']), 'release')):
        plan = run_module(tmp_path, args, check=True)
        assert plan['action'] == action and not plan.get('failed'), plan
        assert plan.wall < 2, plan.wall  # check mode never waits
    assert 'holder@e' in plan['msg'] or plan['action'] == 'release'
    assert lock_object(store, deployment) == before


@pytest.mark.parametrize('option, value', [
    ('deployment', 'bad name!'), ('bucket', 'Bad_Bucket'), ('ttl', 5), ('wait_timeout', -1),
    ('poll_interval', 0), ('endpoint_url', 'http://127.0.0.1:70000'), ('prefix', '../x'), ('secret_key', ''),
])
def test_input_errors_fail_at_once_naming_the_option(store, tmp_path, option, value):
    # A closed port as the endpoint: reaching the network would fail differently (and later).
    args = module_args(store, 'locktest-input', endpoint_url='http://127.0.0.1:9')
    args[option] = value
    failed = run_module(tmp_path, args)
    assert failed['failed'] and failed['option'] == option, failed
    assert ('option %s' % option) in failed['msg'], failed['msg']
    assert failed.wall < 0.5, failed.wall
    assert store['secret_key'] not in json.dumps(failed)


def test_a_store_without_conditional_writes_is_refused(store_ignoring_conditions, deployment, tmp_path):
    store = store_ignoring_conditions
    failed = run_module(tmp_path, module_args(store, deployment))
    assert failed['failed'], failed
    assert 'ignores If-None-Match on PUT, so a lock there is not exclusive' in failed['msg'], failed['msg']
    assert lock_object(store, deployment) is None  # it took nothing it could not hold


def test_store_errors_are_named(store, deployment, tmp_path):
    wrong = run_module(tmp_path, module_args(store, deployment, secret_key='not-the-secret'))
    assert wrong['failed'] and 'secret key does not match' in wrong['msg'], wrong['msg']
    missing = run_module(tmp_path, module_args(store, deployment, bucket='gpt371-no-lock-bucket'))
    assert missing['failed'] and 'does not exist' in missing['msg'] and 'create_bucket' in missing['msg']
    created = run_module(tmp_path, module_args(store, deployment, bucket='gpt371-lock-bucket', create_bucket=True))
    assert created.get('action') == 'acquire', created.get('msg')
    again = run_module(tmp_path, module_args(store, deployment + '-2', bucket='gpt371-lock-bucket',
                                             create_bucket=True))
    assert again['action'] == 'acquire', again  # the bucket exists (ours): not an error


# -- the playbooks --------------------------------------------------------------------------------------

def test_two_concurrent_runs_exactly_one_wins(store, deployment, run_playbook, tmp_path):
    extra = playbook_vars(store, deployment, infra_lock_wait_timeout=4)
    # Each run keeps working after it took the lock (a run that has ended frees it: see the test below).
    playbook = tmp_path / 'locked_work.yml'
    playbook.write_text('---\n- name: Lock\n  ansible.builtin.import_playbook: %s/playbooks/lock.yml\n'
                        '- name: Work\n  hosts: localhost\n  gather_facts: false\n  tasks:\n'
                        '    - name: Work while holding the lock\n      ansible.builtin.pause:\n'
                        '        seconds: 10\n' % REPO)

    def run(job):
        started = time.monotonic()
        result = run_playbook(str(playbook), extra_vars=extra, env={'JOB_ID': job})
        return job, result, time.monotonic() - started

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(run, ['101', '102']))
    winners = [r for r in runs if r[1].returncode == 0]
    losers = [r for r in runs if r[1].returncode != 0]
    assert len(winners) == 1 and len(losers) == 1, [(r[0], r[1].returncode, r[1].output[-2000:]) for r in runs]
    winner, loser = winners[0][0], losers[0]
    record = lock_object(store, deployment)[0]
    assert record['owner'].endswith('(AWX job %s)' % winner), record
    assert 'locked by' in loser[1].output and '(AWX job %s)' % winner in loser[1].output, loser[1].output[-3000:]
    # The holder is shown before the wait starts (the first call only tried), with the wait's bound.
    shown = (r'deployment %s is locked by \S+ \(AWX job %s\) since \S+ \(expires \S+\): waiting up to 4 s'
             % (deployment, winner)).replace(' ', r'\s+')  # the callback may wrap the line at any space
    assert re.search(shown, loser[1].output), loser[1].output[-3000:]
    waited = float(re.search(r'waited ([0-9.]+) s of wait_timeout 4 s', loser[1].output).group(1))
    print('concurrent runs: loser waited %.1f s; playbook wall %.1f s / %.1f s' % (waited, runs[0][2], runs[1][2]))
    assert 4 - 1 <= waited <= 4 + 1


def test_lock_unlock_playbooks_nest_and_release(store, deployment, run_playbook, tmp_path):
    playbook = tmp_path / 'nested.yml'
    check = ("- name: Assert the lock\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
             "    - name: Look\n      gpt371.infra.deployment_lock:\n"
             "        deployment: '{{ infra_deployment }}'\n        endpoint_url: '{{ infra_lock_endpoint_url }}'\n"
             "        access_key: '{{ infra_lock_access_key }}'\n        secret_key: '{{ infra_lock_secret_key }}'\n"
             "        bucket: '{{ infra_lock_bucket }}'\n        token: '{{ infra_lock_token | default(None) }}'\n"
             "      check_mode: true\n      register: look\n"
             "    - name: Check\n      ansible.builtin.assert:\n        that: look.action == '%s'\n")
    imp = "- name: %s\n  ansible.builtin.import_playbook: " + REPO + "/playbooks/%s.yml\n"
    playbook.write_text('---\n' + imp % ('outer', 'lock') + imp % ('inner', 'lock') + check % 'renew'
                        + imp % ('inner end', 'unlock') + check % 'renew' + imp % ('outer end', 'unlock')
                        + check % 'acquire')
    # A lock taken seconds ago is not renewed by the nested import (half its ttl is left); with
    # infra_lock_renew_after=0 every nested import renews it. Either way the inner unlock keeps it.
    for renew_after, renewals in ((None, 2), (0, 3)):
        extra = playbook_vars(store, deployment)
        if renew_after is not None:
            extra['infra_lock_renew_after'] = renew_after
        result = run_playbook(str(playbook), extra_vars=extra, verbosity=3)
        assert result.returncode == 0, result.output[-4000:]
        assert max(result.output.count('"action": "renew"'), result.output.count('action: renew')) == renewals
        assert lock_object(store, deployment) is None
        assert store['secret_key'] not in result.output


def test_lock_playbook_says_whether_the_precheck_reads_are_current(store, deployment, run_playbook, tmp_path):
    """lock.yml passes precheck.yml's start (precheck__started) to the lock and publishes it as
    infra_lock_untouched_since when no other run held the lock since, else the moment it took the lock (later);
    unlock.yml forgets it."""
    playbook = tmp_path / 'untouched.yml'
    imp = "- name: %s\n  ansible.builtin.import_playbook: " + REPO + "/playbooks/%s.yml\n"
    show = ("- name: Check\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
            "    - name: Check\n      ansible.builtin.assert:\n        that: %s\n")
    playbook.write_text('---\n' + imp % ('Lock', 'lock')
                        + show % ("infra_lock_untouched_since == precheck__started if current"
                                  " else infra_lock_untouched_since > precheck__started + 0.5")
                        + imp % ('Unlock', 'unlock') + show % 'infra_lock_untouched_since is none')
    # No release on record yet: the lock's take is the moment.
    first = run_playbook(str(playbook),
                         extra_vars=playbook_vars(store, deployment, precheck__started=time.time(), current=False))
    assert first.returncode == 0, first.output[-3000:]
    released = time.time()
    time.sleep(3.1)
    for began, current in ((time.time(), True), (released - 1, False)):
        result = run_playbook(str(playbook),
                              extra_vars=playbook_vars(store, deployment, precheck__started=began, current=current))
        assert result.returncode == 0, (began, current, result.output[-3000:])


def test_lock_playbooks_read_the_store_credentials_from_the_environment(store, deployment, run_playbook, tmp_path):
    """As AWX's object storage credential gives them: STORAGE_* in the environment, no storage_* variable."""
    env = {'STORAGE_ENDPOINT': store['endpoint'], 'STORAGE_ACCESS_KEY': store['access_key'],
           'STORAGE_SECRET_KEY': store['secret_key']}
    playbook = tmp_path / 'locked.yml'
    imp = "- name: %s\n  ansible.builtin.import_playbook: " + REPO + "/playbooks/%s.yml\n"
    playbook.write_text('---\n' + imp % ('Lock', 'lock') + imp % ('Unlock', 'unlock'))
    result = run_playbook(str(playbook), env=env, verbosity=1,
                          extra_vars={'infra_deployment': deployment, 'infra_lock_bucket': store['bucket']})
    assert result.returncode == 0, result.output[-3000:]
    assert 'deployment %s locked by' % deployment in result.output, result.output[-3000:]
    assert lock_object(store, deployment) is None
    assert store['secret_key'] not in result.output


def test_break_lock_variable_and_check_mode(store, deployment, run_playbook):
    write_foreign_lock(store, deployment, 'crashed@awx (AWX job 9)', ttl=3600)
    checked = run_playbook('playbooks/lock.yml', extra_vars=playbook_vars(store, deployment), check=True)
    assert checked.returncode == 0, checked.output[-3000:]
    assert 'would wait up to 300' in checked.output and 'crashed@awx' in checked.output
    assert lock_object(store, deployment)[0]['owner'] == 'crashed@awx (AWX job 9)'

    broken = run_playbook('playbooks/unlock.yml', extra_vars=playbook_vars(store, deployment, infra_break_lock=True))
    assert broken.returncode == 0, broken.output[-3000:]
    assert 'broke the lock of crashed@awx' in broken.output
    assert lock_object(store, deployment) is None


def test_a_run_that_failed_on_this_controller_does_not_keep_the_lock(store, deployment, run_playbook):
    """A run that stops before unlock.yml (a failed provisioning task) leaves its lock; the next run on the same
    controller sees that run's ansible-playbook process is gone and takes the lock at once, saying so."""
    extra = playbook_vars(store, deployment, infra_lock_wait_timeout=60)
    first = run_playbook('playbooks/lock.yml', extra_vars=extra)  # ends without unlock.yml, as a failed run does
    assert first.returncode == 0, first.output[-3000:]
    process = lock_object(store, deployment)[0]['process']
    assert process['pid'] > 1 and process['start'], process
    started = time.monotonic()
    second = run_playbook('playbooks/lock.yml', extra_vars=extra)
    took = time.monotonic() - started
    assert second.returncode == 0, second.output[-3000:]
    assert 'took over the abandoned (its run on this controller has ended) lock' in second.output
    assert took < 60 / 2, 'taken at once, not after the wait: %.1f s' % took
    assert lock_object(store, deployment)[0]['process']['pid'] != process['pid']
