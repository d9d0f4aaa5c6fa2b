"""storage_state against a real S3 server (moto with IAM on, over HTTPS with the test CA): what it reads, the drift
and the deploy's plan it gives, and its errors (no secret in them)."""
import json
import os
import subprocess
import uuid

import pytest

from services.s3 import client

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODULE = os.path.join(REPO, 'plugins', 'modules', 'storage_state.py')
PYTHON = os.path.join(REPO, '.venv', 'bin', 'python')
RULE_ID = '371gpt-backups-expiry'


def run_module(tmp_path, args):
    """One run of the module as Ansible runs it (an args file), its JSON answer."""
    args_file = tmp_path / f'args-{uuid.uuid4().hex}.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, '.collections'))
    done = subprocess.run([PYTHON, MODULE, str(args_file)], capture_output=True, text=True, env=env, timeout=60,
                          check=False)  # a failing module exits 1 with its JSON answer
    return json.loads(done.stdout), done.stdout + done.stderr


@pytest.fixture
def store(services, tmp_path):
    """A bucket of its own laid out as the storage role leaves it, and the module's arguments for it."""
    s3 = services['s3']
    bucket = f'gpt371-state-{uuid.uuid4().hex[:8]}'
    boto = client('s3', s3['endpoint'], s3['access_key'], s3['secret_key'])
    boto.create_bucket(Bucket=bucket)
    for prefix in ('models/', 'documents/', 'backups/'):
        boto.put_object(Bucket=bucket, Key=prefix, Body=b'')
    boto.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={'Rules': [
        {'ID': RULE_ID, 'Status': 'Enabled', 'Filter': {'Prefix': 'backups/'}, 'Expiration': {'Days': 30}}]})
    args = dict(endpoint_url=s3['endpoint_https'], access_key=s3['access_key'], secret_key=s3['secret_key'],
                aws_ca_bundle=services['ca_cert'], expiration_days=30, rule_id=RULE_ID,
                layout=dict(buckets=[bucket], prefixes=['models/', 'documents/', 'backups/'], backups_bucket=bucket,
                            backups_prefix='backups/'))
    try:
        yield boto, bucket, args
    finally:
        for item in boto.list_objects_v2(Bucket=bucket).get('Contents', []):
            boto.delete_object(Bucket=bucket, Key=item['Key'])
        boto.delete_bucket(Bucket=bucket)


def test_a_store_as_wanted_has_no_drift_and_nothing_to_apply(store, tmp_path):
    _boto, bucket, args = store
    got, _out = run_module(tmp_path, args)
    assert not got.get('failed'), got
    assert got['changed'] is False
    assert bucket in got['buckets']
    assert sorted(got['prefixes']) == ['backups/', 'documents/', 'models/']
    assert got['lifecycle_rules'] == [
        {'ID': RULE_ID, 'Status': 'Enabled', 'Filter': {'Prefix': 'backups/'}, 'Expiration': {'Days': 30}}]
    assert got['drift'] == []
    assert got['plan'] == {'buckets': [], 'prefixes': [], 'lifecycle': False}


def test_a_deleted_prefix_and_a_changed_rule_are_what_the_plan_applies(store, tmp_path):
    boto, bucket, args = store
    boto.delete_object(Bucket=bucket, Key='documents/')
    boto.put_object(Bucket=bucket, Key='documents/report.pdf', Body=b'x')  # a key under it is not the prefix
    boto.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={'Rules': [
        {'ID': RULE_ID, 'Status': 'Enabled', 'Filter': {'Prefix': 'backups/'}, 'Expiration': {'Days': 7}}]})
    got, _out = run_module(tmp_path, args)
    assert got['drift'] == [
        f'prefix missing: {bucket}/documents/',
        f"lifecycle rule {RULE_ID} on {bucket} is Enabled 'backups/' after 7 days, wanted Enabled 'backups/' after"
        ' 30 days']
    assert got['plan'] == {'buckets': [], 'prefixes': ['documents/'], 'lifecycle': True}


def test_a_missing_bucket_plans_the_bucket_its_prefixes_and_rule(store, tmp_path):
    _boto, _bucket, args = store
    missing = f'gpt371-missing-{uuid.uuid4().hex[:8]}'
    args = dict(args, layout=dict(args['layout'], buckets=[missing], backups_bucket=missing))
    got, _out = run_module(tmp_path, args)
    assert got['drift'] == [f'bucket missing: {missing}']
    assert got['plan'] == {'buckets': [missing], 'prefixes': ['models/', 'documents/', 'backups/'],
                           'lifecycle': True}
    assert got['lifecycle_rules'] is None


def test_errors_name_the_setting_to_fix_and_never_the_secret(store, services, tmp_path):
    _boto, _bucket, args = store
    wrong = 'wrong' + uuid.uuid4().hex
    got, out = run_module(tmp_path, dict(args, secret_key=wrong))
    assert got['failed'] and got['reason'] == 'auth'
    assert 'STORAGE_SECRET_KEY' in got['msg']
    assert wrong not in out and args['secret_key'] not in out
    got, _out = run_module(tmp_path, {k: v for k, v in args.items() if k != 'aws_ca_bundle'})
    assert got['failed'] and got['reason'] == 'tls' and 'aws_ca_bundle' in got['msg']
    got, _out = run_module(tmp_path, dict(args, endpoint_url=services['s3']['endpoint_down']))
    assert got['failed'] and got['reason'] == 'refused'
    got, _out = run_module(tmp_path, dict(args, endpoint_url='s3.example.com'))
    assert got['failed'] and got['msg'].startswith('endpoint_url:')
