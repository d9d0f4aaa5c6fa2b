# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml end to end on the lab, the way `make demo` runs it, then the lab broken on purpose.

One deployment ``gpt371-s<random>`` (3 agent servers) goes through, in file order:
  site.yml -> green, the report written and printed; site.yml again -> changed=0 on every host; --check -> no change;
  PostgreSQL stopped on the database server / the 8080 rule removed / a wrong storage secret in a host's .env ->
  verify.yml fails, the report names that cause and its fix, the other integration points are still checked;
  backup.yml round-trips into the backups area of the lab's object storage;
  scale.yml 3 -> 5 -> 3 agent servers, verify green each time; teardown.yml -> nothing of the deployment is left.
The module fixture tears the deployment down whatever happens.
"""
import json
import os
import subprocess
import time

import boto3
import pytest
from lab_playbook import REPO, new_deployment, run_playbook

STATE = os.path.join(REPO, 'lab', '.state')


@pytest.fixture(scope='module')
def site(lab_up, tmp_path_factory):
    """The deployment, with the reference stack's images on the controller (the stack role ships them)."""
    assert os.path.exists(lab_up)
    build = subprocess.run(['bash', os.path.join(REPO, 'examples', 'reference-stack', 'build.sh')],
                           capture_output=True, text=True, timeout=1800, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    info = new_deployment('gpt371-s')
    info['reports'] = str(tmp_path_factory.mktemp('reports'))
    yield info
    run_playbook('teardown.yml', info, 'teardown_confirm=' + info['name'])


def play(name, site, *extra, check=False):
    return run_playbook(name, site, 'verify_report_dir=' + site['reports'], *extra, check=check)


def report(site):
    with open(os.path.join(site['reports'], 'integration-report.json'), encoding='utf-8') as handle:
        return json.load(handle)


def outputs(site):
    with open(os.path.join(REPO, 'outputs', site['name'] + '.json'), encoding='utf-8') as handle:
        return {key: item['value'] for key, item in json.load(handle).items()}


def ssh(site, host_ip, command):
    key = os.path.join(REPO, 'outputs', site['name'] + '_id_ed25519')
    proc = subprocess.run(['ssh', '-i', key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
                           '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'root@' + host_ip, command],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def app_hosts(site, agents):
    return {site['name'] + '-' + name for name in ('core', 'xpipe', 'kespa')} | {
        '%s-agent-server-%d' % (site['name'], index) for index in range(agents)}


def assert_green(site, output, agents):
    rows = report(site)['rows']
    hosts = app_hosts(site, agents)
    assert report(site)['summary']['ok'], [row for row in rows if not row['ok']]
    for point in ('database', 'storage', 'xpipe'):
        assert {row['host'] for row in rows if row['point'] == point} == hosts, point
    assert [row['host'] for row in rows if row['point'] == 'security_groups'] == ['controller']
    assert 'POINT            FROM' in output, 'the summary table is printed'


def test_site_yml_is_green_with_the_report(site):
    started = time.monotonic()
    code, output, recap = play('site.yml', site, 'agent_count=3')
    assert code == 0, output[-8000:]
    print('site.yml, new deployment: %.0f s' % (time.monotonic() - started))
    assert_green(site, output, agents=3)
    assert recap.keys() >= app_hosts(site, 3) | {site['name'] + '-supabase', 'localhost'}
    for ext in ('json', 'md', 'xml'):
        assert os.path.getsize(os.path.join(site['reports'], 'integration-report.' + ext)) > 0
    env = ssh(site, outputs(site)['core_instance_ip'], 'stat -c %a /opt/371gpt/.env && cat /opt/371gpt/.env')
    assert env.startswith('600\n')
    assert 'DB_HOST=%s' % outputs(site)['supabase_instance_ip'] in env
    assert 'STORAGE_ENDPOINT=http://%s.1:' % site['cidr'].rsplit('.', 1)[0] in env


def test_second_site_run_changes_nothing(site):
    started = time.monotonic()
    code, output, recap = play('site.yml', site, 'agent_count=3')
    assert code == 0, output[-8000:]
    print('site.yml re-run: %.0f s' % (time.monotonic() - started))
    assert recap and all(changed == 0 for changed in recap.values()), recap


def test_check_mode_after_it_reports_no_change(site):
    code, output, recap = play('site.yml', site, 'agent_count=3', check=True)
    assert code == 0, output[-8000:]
    assert recap and all(changed == 0 for changed in recap.values()), recap


def failing_rows(site):
    return [row for row in report(site)['rows'] if not row['ok']]


def test_database_stopped_is_diagnosed_and_the_rest_still_checked(site):
    database = outputs(site)['supabase_instance_ip']
    ssh(site, database, 'service postgresql stop')
    try:
        code, output, _recap = play('verify.yml', site)
    finally:
        ssh(site, database, 'service postgresql start')
    assert code != 0
    failed = failing_rows(site)
    assert {row['point'] for row in failed} == {'database'} and len(failed) == 6, failed
    for row in failed:
        assert row['failed_check'] == 'connect'
        assert 'nothing listens on %s-supabase port 5432' % site['name'] in row['likely_cause']
        assert 'start the service' in row['fix']
    assert report(site)['summary']['passed'] == len(report(site)['rows']) - 6
    assert 'Fix: start the service' in output


def test_missing_8080_rule_is_diagnosed_and_the_rest_still_checked(site, conn):
    group = conn.network.find_security_group(site['name'] + '-xpipe')
    rule = next(r for r in conn.network.security_group_rules(security_group_id=group.id)
                if r.direction == 'ingress' and r.port_range_min == 8080)
    conn.network.delete_security_group_rule(rule)
    try:
        code, output, _recap = play('verify.yml', site)
    finally:
        conn.network.create_security_group_rule(
            security_group_id=group.id, direction='ingress', protocol='tcp', port_range_min=8080,
            port_range_max=8080, remote_ip_prefix=rule.remote_ip_prefix, ether_type=rule.ether_type)
    assert code != 0
    failed = failing_rows(site)
    assert [row['point'] for row in failed] == ['security_groups'], failed
    assert 'tcp/8080' in failed[0]['likely_cause'] and site['name'] + '-xpipe' in failed[0]['likely_cause']
    assert 'port_range_min=8080' in failed[0]['fix'] and 'security_group_rule' in failed[0]['fix']
    assert {row['point'] for row in report(site)['rows'] if row['ok']} == {'database', 'storage', 'xpipe'}


def test_wrong_storage_secret_is_diagnosed_and_the_rest_still_checked(site):
    kespa = outputs(site)['kespa_instance_ip']
    ssh(site, kespa, 'cp -p /opt/371gpt/.env /root/env.saved && '
                     'sed -i "s/^STORAGE_SECRET_KEY=.*/STORAGE_SECRET_KEY=wrong-secret-in-the-env-file/" /opt/371gpt/.env')
    try:
        code, output, _recap = play('verify.yml', site)
    finally:
        ssh(site, kespa, 'mv /root/env.saved /opt/371gpt/.env')
    assert code != 0
    failed = failing_rows(site)
    assert [(row['point'], row['host']) for row in failed] == [('storage', site['name'] + '-kespa')], failed
    assert failed[0]['likely_cause'] == ('the .env on %s-kespa holds a STORAGE_SECRET_KEY that differs from the '
                                         'provisioned value' % site['name'])
    assert 'configure.yml' in failed[0]['fix']
    assert 'wrong-secret-in-the-env-file' not in output
    with open(os.path.join(STATE, 's3.json'), encoding='utf-8') as handle:
        assert json.load(handle)['secret_key'] not in output


def test_backup_round_trips_through_the_object_storage(site):
    code, output, _recap = play('backup.yml', site)
    assert code == 0, output[-8000:]
    with open(os.path.join(STATE, 's3.json'), encoding='utf-8') as handle:
        s3 = json.load(handle)
    client = boto3.client('s3', endpoint_url='http://127.0.0.1:%d' % s3['port'], region_name=s3['region'],
                          aws_access_key_id=s3['access_key'], aws_secret_access_key=s3['secret_key'])
    keys = [obj['Key'] for obj in client.list_objects_v2(Bucket='371gpt-assets', Prefix='backups/').get('Contents', [])]
    assert keys, 'no backup object under backups/'


@pytest.mark.parametrize('agents', [5, 3])
def test_scale_and_verify_green(site, agents):
    started = time.monotonic()
    code, output, _recap = play('scale.yml', site, 'agent_count=%d' % agents)
    assert code == 0, output[-8000:]
    print('scale.yml to %d agents: %.0f s' % (agents, time.monotonic() - started))
    assert_green(site, output, agents=agents)
    assert len(outputs(site)['agent_instance_ips']) == agents


def test_teardown_leaves_nothing(site, conn):
    code, output, _recap = run_playbook('teardown.yml', site, 'teardown_confirm=' + site['name'])
    assert code == 0, output[-8000:]
    mark = 'deployment=' + site['name']
    assert not [s.name for s in conn.compute.servers() if (s.metadata or {}).get('gpt371_deployment') == site['name']]
    assert not [n.name for n in conn.network.networks() if mark in (n.tags or [])]
    assert not [g.name for g in conn.network.security_groups() if g.name.startswith(site['name'] + '-')]
    assert not [r.name for r in conn.network.routers() if mark in (r.tags or [])]
    assert not os.path.exists(os.path.join(REPO, 'outputs', site['name'] + '.json'))
