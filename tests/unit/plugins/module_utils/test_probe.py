# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_probe.py: retries of transient causes only, backoff, the overall deadline, secret scrubbing.

A small probe (FakeProbe) runs a script of outcomes through the real ProbeModule and AnsibleModule;
exit_json/fail_json are caught, pauses recorded instead of slept. Nothing here opens a connection.
"""

import json
import threading
import time

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpt371.infra.plugins.module_utils import _probe
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    REASONS, TRANSIENT, ProbeFailure, ProbeModule, check_port)
from tests.helpers import Exit, catch_exit

SECRET = 'hunter2-secret-value'


class FakeProbe(ProbeModule):
    """One check, 'connect', whose outcome per attempt comes from ``script`` (the last one repeats)."""

    argument_spec = dict(secret=dict(type='str', no_log=True, default=SECRET), port=dict(type='int', default=5432))

    def __init__(self, script):
        self.script = list(script)
        self.runs = 0
        super(FakeProbe, self).__init__()

    def secrets(self):
        return [self.params['secret']]

    def target(self):
        return 'fake:%s' % self.params['port']

    def validate(self):
        check_port('port', self.params['port'])

    def run(self):
        self.runs += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        with self.check('connect') as c:
            step()
            c.detail = 'connected with %s' % self.params['secret']


@pytest.fixture
def module(monkeypatch):
    """run(script, **args) -> (Exit, probe, pauses)."""
    pauses = []
    catch_exit(monkeypatch)
    monkeypatch.setattr(_probe.time, 'sleep', pauses.append)
    monkeypatch.setattr(_probe, 'process_age', lambda: 0.0)  # a test runner is no fresh module process

    def run(script, **args):
        args.setdefault('delay', 0.5)
        holder = {}
        with patch_module_args(args), pytest.raises(Exit) as info:
            holder['probe'] = FakeProbe(script)
            holder['probe']()
        return info.value, holder.get('probe'), pauses
    return run


def ok():
    return None


def fails(reason, **kw):
    def step():
        raise ProbeFailure(reason, 'cause of %s' % reason, 'fix of %s' % reason, **kw)
    return step


# -- retries of transient causes only ------------------------------------------------------------

@pytest.mark.parametrize('reason', sorted(REASONS))
def test_only_transient_reasons_are_retried(module, reason):
    out, probe, pauses = module([fails(reason)], retries=2, delay=0.1, backoff=1)
    transient = reason in TRANSIENT
    assert out.failed and out.result['reason'] == reason
    assert out.result['attempts'] == probe.runs == (3 if transient else 1)
    assert pauses == ([0.1, 0.1] if transient else [])


def test_transient_set_is_what_the_docs_say():
    assert TRANSIENT == {'refused', 'unreachable', 'timeout', 'unhealthy'}
    assert ProbeFailure('dns', 'c', 'f').retryable is False
    assert ProbeFailure('dns', 'c', 'f', retryable=True).retryable is True  # a temporary resolver failure


def test_temporary_dns_failure_is_retried(module):
    out, probe, _pauses = module([fails('dns', retryable=True)], retries=1)
    assert out.result['attempts'] == probe.runs == 2


def test_a_transient_failure_then_success_passes(module):
    out, probe, pauses = module([fails('refused'), fails('timeout'), ok], retries=5, delay=0.5, backoff=3)
    assert not out.failed and out.result['ok'] is True
    assert out.result['attempts'] == probe.runs == 3
    assert out.result['checks'] == [dict(name='connect', ok=True, detail='connected with ********',
                                         elapsed_ms=out.result['checks'][0]['elapsed_ms'])]


def test_backoff_multiplies_the_delay(module):
    _out, _probe_, pauses = module([fails('unhealthy')], retries=4, delay=0.5, backoff=3)
    assert pauses == [0.5, 1.5, 4.5, 13.5]


def test_backoff_one_is_a_fixed_delay(module):
    _out, _probe_, pauses = module([fails('refused')], retries=3, delay=0.25, backoff=1)
    assert pauses == [0.25, 0.25, 0.25]


def test_reason_must_be_known():
    with pytest.raises(ValueError, match='unknown probe failure reason'):
        _failure = ProbeFailure('connection refused', 'c', 'f')


# -- the overall deadline ----------------------------------------------------------------------

def test_no_retry_when_the_pause_does_not_fit_the_deadline(module):
    out, probe, pauses = module([fails('refused')], retries=5, delay=5, timeout=2)
    assert out.result['attempts'] == probe.runs == 1
    assert pauses == []


def test_retries_stop_when_the_deadline_is_spent(module, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(_probe.time, 'monotonic', lambda: clock[0])

    def slow_refusal():
        clock[0] += 1.0  # every attempt takes one second of the budget
        raise ProbeFailure('refused', 'c', 'f')

    monkeypatch.setattr(_probe.threading.Thread, 'join', lambda self, timeout=None: None)
    monkeypatch.setattr(_probe.threading.Thread, 'start', lambda self: self.run())
    monkeypatch.setattr(_probe.threading.Thread, 'is_alive', lambda self: False)
    out, probe, pauses = module([slow_refusal], retries=100, delay=0.5, backoff=1, timeout=4.25)
    # 4.25 s less the exit reserve: 1 s per attempt and the (unslept) pauses of 0.5 s fit three times.
    assert out.result['attempts'] == probe.runs == 4
    assert pauses == [0.5, 0.5, 0.5]


def test_watchdog_ends_a_hung_check_at_the_deadline(module):
    release = threading.Event()

    def hang():
        release.wait(30)  # a server that accepts and never answers, a name lookup that hangs

    start = time.monotonic()
    out, probe, _pauses = module([hang], retries=3, timeout=0.8)
    wall = time.monotonic() - start
    release.set()
    assert out.failed and out.result['reason'] == 'timeout'
    assert out.result['failed_check'] == 'connect' and out.result['attempts'] == 1
    assert wall < 0.8 + 0.3, 'the watchdog let the task run %.2f s past timeout=0.8' % wall
    assert 'no answer from fake:5432 within 0.' in out.result['cause']
    assert 'all that was left of timeout=0.8 s' in out.result['cause']
    assert out.result['checks'][-1]['reason'] == 'timeout' and not out.result['checks'][-1]['ok']
    waited = float(out.result['cause'].split('within ')[1].split(' s')[0])
    assert 0.3 <= waited <= 0.8, 'the message states the wait that happened'


def test_a_hung_worker_cannot_change_the_result_afterwards(module):
    release, finished = threading.Event(), threading.Event()

    def hang_then_pass():
        release.wait(30)
        finished.set()

    out, probe, _pauses = module([hang_then_pass], timeout=0.5, retries=0)
    checks = json.dumps(out.result['checks'])
    release.set()
    assert finished.wait(5)
    time.sleep(0.05)
    assert json.dumps(out.result['checks']) == checks
    assert [c['ok'] for c in out.result['checks']] == [False]


def test_deadline_counts_the_process_start(monkeypatch):
    monkeypatch.setattr(_probe, 'process_age', lambda: 1.5)
    deadline = _probe.Deadline(3.0, already=_probe.process_age())
    assert 1.4 < deadline.remaining() <= 1.5
    assert deadline.bound(10) <= 1.5 and deadline.bound(0.5) == 0.5


def test_process_age_of_this_process_is_plausible():
    age = _probe.process_age()
    assert age == 0.0 or 0.0 < age < 10.0


# -- local input errors ------------------------------------------------------------------------

def test_invalid_option_fails_at_once_before_any_check(module):
    out, probe, pauses = module([ok], port=70000, retries=5)
    assert out.failed and probe.runs == 0 and pauses == []
    res = out.result
    assert (res['reason'], res['failed_check'], res['attempts']) == ('config', 'options', 1)
    assert 'port' in res['cause'] and '70000' in res['cause'] and 'from 1 to 65535' in res['cause']
    assert res['msg'].startswith('options check failed after 1 attempt: option port is invalid')
    assert res['checks'] == [dict(name='options', ok=False, reason='config', detail=res['cause'], elapsed_ms=0)]


@pytest.mark.parametrize('name, value', [('retries', -1), ('timeout', 0), ('backoff', 0.5), ('delay', -1)])
def test_invalid_common_option(module, name, value):
    out, probe, _pauses = module([ok], **{name: value})
    assert out.result['reason'] == 'config' and probe.runs == 0 and name in out.result['cause']


def test_an_option_ansible_cannot_convert_is_a_config_failure(module):
    out, probe, _pauses = module([ok], port='not-a-number')
    assert out.failed and probe is None
    res = out.result
    assert (res['reason'], res['failed_check'], res['attempts'], res['ok']) == ('config', 'options', 1, False)
    assert 'port' in res['msg']


def test_an_option_ansible_cannot_convert_is_reported_with_fail_on_error_false(module):
    out, _probe_, _pauses = module([ok], port='not-a-number', fail_on_error=False)
    assert not out.failed and out.result['ok'] is False and out.result['reason'] == 'config'


# -- result shape and fail_on_error --------------------------------------------------------------

def test_fail_on_error_false_reports_the_same_failure(module):
    out, _probe_, _pauses = module([fails('auth')], fail_on_error=False)
    res = out.result
    assert not out.failed and res['ok'] is False and res['changed'] is False
    assert (res['reason'], res['failed_check'], res['cause'], res['fix']) == ('auth', 'connect', 'cause of auth',
                                                                              'fix of auth')
    assert res['msg'] == 'connect check failed after 1 attempt: cause of auth: fix of auth'
    assert res['checks'][0]['reason'] == 'auth'


# -- secret scrubbing ----------------------------------------------------------------------------

def test_secrets_are_scrubbed_from_cause_fix_detail_and_msg(module):
    def leaky():
        raise ProbeFailure('auth', 'rejected %s' % SECRET, 'use something else than %s' % SECRET,
                           detail='server said %s' % SECRET)

    for fail_on_error in (True, False):
        out, _probe_, _pauses = module([leaky], fail_on_error=fail_on_error)
        text = json.dumps(out.result)
        assert SECRET not in text
        assert out.result['cause'] == 'rejected ********' and out.result['checks'][0]['detail'] == 'server said ********'


def test_secrets_are_scrubbed_from_an_unexpected_error_and_its_traceback(module):
    def bug():
        raise RuntimeError('driver crashed with %s' % SECRET)

    out, _probe_, _pauses = module([bug])
    assert out.failed and out.result['msg'] == 'probe error: RuntimeError: driver crashed with ********'
    assert SECRET not in json.dumps(out.result) and 'RuntimeError' in out.result['exception']


def test_passing_check_detail_is_scrubbed(module):
    out, _probe_, _pauses = module([ok])
    assert out.result['checks'][0]['detail'] == 'connected with ********'


def test_short_values_are_not_scrubbed():
    class Short(ProbeModule):
        def __init__(self):  # no AnsibleModule: scrub() needs secrets() only
            pass

        def secrets(self):
            return ['ab', None, '']

    assert Short().scrub('about ab') == 'about ab'


# -- one probe of several in one module run (host_probes) -----------------------------------------

class EmbeddedFake(ProbeModule):
    """FakeProbe's options and check, given as host_probes builds each probe, not read by AnsibleModule."""

    argument_spec = FakeProbe.argument_spec
    secrets, target, validate, run = FakeProbe.secrets, FakeProbe.target, FakeProbe.validate, FakeProbe.run

    def __init__(self, script, params, warnings):
        self.script = list(script)
        self.runs = 0
        super(EmbeddedFake, self).__init__(params, warnings.append)


def test_embedded_options_are_checked_like_the_modules_and_secrets_returned(monkeypatch):
    monkeypatch.setattr(_probe, 'process_age', lambda: 0.0)
    params, secrets, error = _probe.embedded_params(FakeProbe, {'port': '5433', 'timeout': 5, 'secret': None})
    assert error is None and params['port'] == 5433 and params['retries'] == 2 and params['timeout'] == 5.0
    assert SECRET in secrets  # the option's default, marked no_log: the caller masks it in its own output
    result = EmbeddedFake([ok], params, []).execute()
    assert result['ok'] and result['checks'][0]['name'] == 'connect' and 'msg' not in result


def test_embedded_invalid_option_is_a_config_result_naming_it():
    params, _secrets, error = _probe.embedded_params(FakeProbe, {'port': 'not-a-port'})
    assert params is None and error['reason'] == 'config' and error['failed_check'] == 'options'
    assert 'port' in error['msg'] and not error['ok']


def test_an_embedded_failure_is_returned_scrubbed_and_never_raised(monkeypatch):
    monkeypatch.setattr(_probe, 'process_age', lambda: 0.0)
    monkeypatch.setattr(_probe.time, 'sleep', lambda seconds: None)

    def leaky():
        raise ProbeFailure('auth', 'rejected %s' % SECRET, 'fix it')

    def bug():
        raise RuntimeError('driver crashed with %s' % SECRET)

    params, _secrets, _error = _probe.embedded_params(FakeProbe, {'retries': 0})
    failed = EmbeddedFake([leaky], params, []).execute()
    crashed = EmbeddedFake([bug], params, []).execute()
    assert failed['reason'] == 'auth' and failed['msg'].startswith('connect check failed after 1 attempt')
    assert crashed['reason'] == 'error' and crashed['bug'] and 'RuntimeError' in crashed['exception']
    assert SECRET not in json.dumps([failed, crashed])
