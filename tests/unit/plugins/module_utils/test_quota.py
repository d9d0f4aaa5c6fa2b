"""module_utils/_quota.py: what a plan needs against what Nova and Neutron allow."""
import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _quota

FLAVORS = {'s1-4': {'vcpus': 1, 'ram': 4096}, 's1-8': {'vcpus': 2, 'ram': 8192}}
LIMITS = {'instances': 10, 'instances_used': 7, 'total_cores': 20, 'total_cores_used': 18,
          'total_ram': 51200, 'total_ram_used': 0}


def test_need_adds_up_flavors():
    need = _quota.compute_need([{'flavor': 's1-4'}, {'flavor': 's1-8'}], FLAVORS)
    assert need == {'instances': 2, 'cores': 3, 'ram': 12288}


def test_shortfalls_name_quota_need_used_and_left():
    need = {'instances': 3, 'cores': 3, 'ram': 12288, 'floatingip': 1}
    network = {'floatingip': {'limit': 2, 'used': 1, 'reserved': 1}}
    found = _quota.shortfalls(need, LIMITS, network)
    assert found == [
        {'quota': 'cores', 'need': 3, 'used': 18, 'limit': 20, 'left': 2},
        {'quota': 'floatingip', 'need': 1, 'used': 2, 'limit': 2, 'left': 0},
    ]
    text = _quota.message(found[0])
    assert text.startswith('quota cores: this run needs 3 more vCPUs, but 18 of 20 are used (2 left)')
    assert 'agent_count' in text


@pytest.mark.parametrize('limits', [{'total_cores': -1, 'total_cores_used': 99}, {}])
def test_unlimited_and_unreported_quotas_pass(limits):
    assert _quota.shortfalls({'cores': 50}, limits, {}) == []


def test_exact_fit_passes_and_zero_need_is_skipped():
    assert _quota.shortfalls({'instances': 3, 'ram': 0}, LIMITS, {}) == []
    with pytest.raises(ValueError):
        _quota.shortfalls({'volumes': 1}, LIMITS, {})
