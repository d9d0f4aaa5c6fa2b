"""module_utils/_plan_summary.py: a --check result as an addition, a change or a deletion."""
import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _plan_summary as plan


@pytest.mark.parametrize('args, result, kind', [
    ({'state': 'absent'}, {'changed': True}, plan.DESTROY),
    ({}, {'changed': True, 'diff': {'before': '', 'after': 'A=1\n'}}, plan.ADD),
    ({}, {'changed': True, 'diff': {'before': {'state': 'absent'}, 'after': {'state': 'file'}}}, plan.ADD),
    ({}, {'changed': True, 'diff': [{'before': 'A=1\n', 'after': 'A=2\n'}]}, plan.CHANGE),
    ({}, {'changed': True, 'diff': {'before': {'state': 'file'}, 'after': {'state': 'absent'}}}, plan.DESTROY),
    ({'name': 'x'}, {'changed': True, 'server': None}, plan.ADD),
    ({'name': 'x'}, {'changed': True, 'network': {'id': 'n'}}, plan.CHANGE),
    ({}, {'changed': True}, plan.CHANGE),
])
def test_classify(args, result, kind):
    assert plan.classify(args, result) == kind


def test_summary_reads_like_terraform():
    assert plan.summary({plan.ADD: 12, plan.DESTROY: 1}) == 'Plan: 12 to add, 0 to change, 1 to destroy.'


def test_an_empty_lookup_in_check_mode_is_an_addition():
    assert plan.classify({'name': 'p-net'}, {'changed': True, 'networks': []}) == plan.ADD
    assert plan.classify({'name': 'p-net'}, {'changed': True, 'routers': [{'id': 'r'}]}) == plan.CHANGE
