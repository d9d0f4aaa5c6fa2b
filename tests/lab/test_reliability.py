# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 13 against the lab, light: each test builds at most one tiny deployment of its own (gpt371-r<random> on a
random 10.2xx.x.0/24, no agents, one small server), and tears it down with teardown.yml.

  * bad input fails before any write: a deployment name that is too long stops provision.yml naming the option,
    and the cloud holds no network, subnet, router, security group or key pair of that name (class 2); so does a
    new deployment without a public key for its key pair;
  * ``site.yml --check`` on a new deployment is a plan: rc 0, the output ends with "Plan: N to add, M to change,
    K to destroy." (N > 0), and nothing exists afterwards (class 3);
  * two provision.yml runs started together for one new deployment give one network, one subnet and one server:
    the second waited for the lock and then found everything in place (changed=0), or failed naming the holder
    (class 10); a rule opened by hand is then removed by a re-run that names it (say what changed).

The lab is shared: these tests never start or stop it (the lab_up fixture only checks it is up when it is).
"""
import random
import re
import threading
import time
import uuid

import pytest
from lab_playbook import SLOW, run_playbook

# One small server (the first of instances_servers, with its floating IP: what SSH goes through), no agents.
TINY = ('{"instances_servers": [{"name": "core", "groups": ["core", "app"], "security_groups": ["ssh", "api"], '
        '"floating_ip": true}]}')
PLAN = re.compile(r'^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.\s*$', re.M)


def new_deployment():
    """gpt371-r<random> on a random 10.2xx.x.0/24 (apart from lab_playbook's 10.150-199 and the lab's own)."""
    return {'name': 'gpt371-r' + uuid.uuid4().hex[:6],
            'cidr': '10.%d.%d.0/24' % (random.randint(210, 249), random.randint(0, 255))}


def held(conn, name):
    """Everything of the cloud that carries the deployment's name or mark."""
    prefix, tag = name + '-', 'deployment=' + name
    return {
        'networks': sorted(n.name for n in conn.network.networks() if n.name.startswith(prefix)
                           or tag in (n.tags or [])),
        'subnets': sorted(s.name for s in conn.network.subnets() if (s.name or '').startswith(prefix)),
        'routers': sorted(r.name for r in conn.network.routers() if r.name.startswith(prefix)
                          or tag in (r.tags or [])),
        'security_groups': sorted(g.name for g in conn.network.security_groups() if g.name.startswith(prefix)),
        'servers': sorted(s.name for s in conn.compute.servers()
                          if (s.metadata or {}).get('gpt371_deployment') == name or s.name.startswith(prefix)),
        'keypairs': sorted(k.name for k in conn.compute.keypairs() if k.name.startswith(prefix)),
    }


def provision_changes(output):
    """The tasks that changed something in provision.yml's provisioning play (the lock's own plays aside)."""
    play = output.split('PLAY [Provision the network, the servers and the outputs file]', 1)[-1].split('PLAY [', 1)[0]
    changed, task = [], None
    for line in play.splitlines():
        if line.startswith('TASK ['):
            task = line[6:line.rfind(']')]
        elif line.startswith('changed: ['):
            changed.append(task)
    return changed


NOTHING = {'networks': [], 'subnets': [], 'routers': [], 'security_groups': [], 'servers': [], 'keypairs': []}


@pytest.fixture
def deployment(lab_up, tmp_path):
    """A new deployment name and CIDR; torn down at the end whatever the test did."""
    info = new_deployment()
    info['reports'] = str(tmp_path / 'reports')
    yield info
    code, output, _recap = run_playbook('teardown.yml', info, 'teardown_confirm=' + info['name'], 'agent_count=0')
    assert code == 0, output[-3000:]


def test_a_bad_deployment_name_fails_naming_the_option_and_creates_nothing(lab_up, conn):
    info = new_deployment()
    info['name'] += '-' + 'x' * 40  # 55 characters: more than 40
    code, output, recap = run_playbook('provision.yml', info, 'agent_count=0', TINY)
    assert code != 0
    assert 'network_deployment (infra_deployment) "%s" has %d characters; at most 40' % (
        info['name'], len(info['name'])) in output, output[-3000:]
    assert 'Nothing was created.' in output
    assert recap.get('localhost') == 0, 'nothing changed before the precheck failed'
    assert held(conn, info['name']) == NOTHING


def test_an_unknown_flavor_fails_naming_it_and_creates_nothing(lab_up, conn):
    """The precheck's one catalog read (server_catalog_info) names the flavor the cloud lacks, before any write."""
    info = new_deployment()
    code, output, recap = run_playbook('provision.yml', info, 'agent_count=0', TINY,
                                       'instances_flavor=gpt371-no-such-flavor')
    assert code != 0
    assert "flavor(s) ['gpt371-no-such-flavor']" in output and 'were not found on this cloud' in output, \
        output[-3000:]
    assert recap.get('localhost') == 0, 'nothing changed before the precheck failed'
    assert held(conn, info['name']) == NOTHING


def test_an_unknown_external_network_fails_naming_the_variable_and_creates_nothing(lab_up, conn):
    """The external network is read with the rest of the network (network_state), before any write."""
    info = new_deployment()
    code, output, recap = run_playbook('provision.yml', info, 'agent_count=0', TINY,
                                       'network_external_network=gpt371-no-such-net')
    assert code != 0
    assert ('external network gpt371-no-such-net was not found (or is not external) on this cloud; set '
            'network_external_network') in output, output[-3000:]
    assert recap.get('localhost') == 0, 'nothing changed before the precheck failed'
    assert held(conn, info['name']) == NOTHING


def test_no_public_key_for_a_new_key_pair_fails_naming_the_options_and_creates_nothing(lab_up, conn):
    """Without a public key an existing key pair is used as it is (the AWX Scale job, tests/awx); a key pair still to
    make needs one, and the precheck says so before anything is made."""
    info = new_deployment()
    code, output, recap = run_playbook('provision.yml', info, 'agent_count=0', TINY, 'instances_generate_key=false')
    assert code != 0
    assert ('no public key for the key pair %s-key, and the cloud has no key pair of that name. Set '
            'instances_public_key' % info['name']) in output, output[-3000:]
    assert 'instances_public_key_file' in output and 'Nothing was created.' in output
    assert recap.get('localhost') == 0, 'nothing changed before the precheck failed'
    assert held(conn, info['name']) == NOTHING


def test_check_mode_on_a_new_deployment_is_a_plan(deployment, conn, tmp_path):
    started = time.monotonic()
    # As on a fresh clone: no state dir yet. Only the report is written in check mode (integration_report's docs).
    state_dir = tmp_path / 'state'
    code, output, recap = run_playbook('site.yml', deployment, 'agent_count=0', TINY,
                                       'verify_report_dir=' + deployment['reports'],
                                       'infra_state_dir=' + str(state_dir), check=True)
    assert code == 0, output[-4000:]
    assert not state_dir.exists(), 'check mode wrote the state dir'
    assert 'gpt371.infra.instances : Generated SSH key pair (ed25519, with its directory)' in output
    plan = PLAN.search(output)
    assert plan, output[-2000:]
    assert int(plan.group(1)) > 0 and int(plan.group(3)) == 0, plan.group(0)
    assert '+ localhost: gpt371.infra.network' in output, 'the network shows as "would create"'
    # The lab's store is on the deployment's own network, not there yet: the plan says so and plans the layout.
    assert 'storage: would apply the store is not reachable yet' in output, output[-4000:]
    assert 'FAILED!' not in output
    assert held(conn, deployment['name']) == NOTHING, 'check mode created something'
    print('site.yml --check on a new deployment: %.0f s, %s' % (time.monotonic() - started, plan.group(0)))


@SLOW  # two provisions and a third run: about 10 min
def test_two_provisions_at_once_give_one_deployment_and_say_what_changed(deployment, conn, tmp_path):
    runs = {}

    def provision(key):
        runs[key] = run_playbook('provision.yml', deployment, 'agent_count=0', TINY,
                                 'infra_lock_wait_timeout=1500', 'infra_lock_poll_interval=5')
        (tmp_path / ('provision-%s.log' % key)).write_text(runs[key][1])  # kept for a failure's reader

    threads = [threading.Thread(target=provision, args=(key,)) for key in ('a', 'b')]
    for thread in threads:
        thread.start()
        time.sleep(1)
    for thread in threads:
        thread.join()

    found = held(conn, deployment['name'])
    assert len(found['networks']) == 1 and len(found['subnets']) == 1, found
    assert found['servers'] == [deployment['name'] + '-core'], found
    assert len(found['routers']) == 1, found
    outcomes = []
    for key, (code, output, recap) in sorted(runs.items()):
        assert 'More than one' not in output, output[-3000:]
        if code == 0:  # deployment_lock warns "waited N s for the lock held by <holder>" when it waited
            outcomes.append('waited' if re.search(r'waited [0-9.]+ s for the lock held by', output) else 'first')
        else:
            assert 'lock' in output and ('held by' in output or 'holds the lock' in output), output[-3000:]
            outcomes.append('failed naming the holder')
    assert outcomes.count('first') == 1, ['%s: rc %d ... %s' % (k, runs[k][0], runs[k][1][-2500:]) for k in sorted(runs)]
    for key, outcome in zip(sorted(runs), outcomes):
        if outcome == 'waited':  # then it found everything in place: nothing of the deployment changed
            assert provision_changes(runs[key][1]) == [], runs[key][1][-3000:]

    # Say what changed: a rule opened by hand is removed by the next run, which names it.
    group = conn.network.find_security_group(deployment['name'] + '-ssh')
    assert group is not None
    rule = conn.network.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ethertype='IPv4', protocol='tcp',
        port_range_min=9999, port_range_max=9999, remote_ip_prefix='203.0.113.0/24')
    code, output, recap = run_playbook('provision.yml', deployment, 'agent_count=0', TINY)
    assert code == 0, output[-3000:]
    said = ' '.join(output.split())  # the YAML result format folds long messages
    assert ('removed from %s-ssh: ingress tcp ports 9999-9999 from 203.0.113.0/24 (IPv4, id %s)'
            % (deployment['name'], rule.id)) in said, output[-3000:]
    assert rule.id not in [r.id for r in conn.network.security_group_rules(security_group_id=group.id)]
