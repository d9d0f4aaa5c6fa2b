"""backup.yml's role: pg_dump of a real database host into the S3 server, then a checked restore."""
import re
import subprocess
import uuid

import boto3
import pytest

PLAYBOOK = 'tests/integration/targets/backup/playbook.yml'
IMAGE = 'gpt371-dbnode:trixie'


def docker(*args, check=True):
    return subprocess.run(['docker', *args], capture_output=True, text=True, timeout=300, check=check)


@pytest.fixture
def dbnode(repo_root, tmp_path):
    if docker('image', 'inspect', IMAGE, check=False).returncode:
        subprocess.run(['bash', f'{repo_root}/images/build.sh', 'dbnode'], check=True, timeout=1800)
    name = f'gpt371-test-backup-{uuid.uuid4().hex[:8]}'
    cid = docker('run', '-d', '--name', name, '--label', 'gpt371.test=integration', IMAGE).stdout.strip()
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(f'all:\n  hosts:\n    dbnode:\n      ansible_connection: community.docker.docker\n'
                         f'      ansible_host: {name}\n      ansible_python_interpreter: /usr/bin/python3\n')
    try:
        yield name, str(inventory)
    finally:
        docker('rm', '-f', cid, check=False)


def test_backup_lands_in_the_bucket_and_restores(dbnode, services, run_playbook, tmp_path):
    name, inventory = dbnode
    s3 = services['s3']
    res = run_playbook(PLAYBOOK, inventory=inventory, timeout=900, extra_vars={
        'svc': services, 'db_password': uuid.uuid4().hex, 'transit_dir': str(tmp_path / 'transit')})
    assert res.returncode == 0, res.output[-4000:]
    restored = re.search(r'restores: (\d+) tables, ([\w, ]+)', res.output)
    assert restored, res.output[-3000:]
    assert int(restored.group(1)) >= 2, 'documents and auth.users come back'
    assert 'vector' in restored.group(2)
    client = boto3.client('s3', endpoint_url=s3['endpoint'], region_name=s3['region'],
                          aws_access_key_id=s3['access_key'], aws_secret_access_key=s3['secret_key'])
    keys = [o['Key'] for o in client.list_objects_v2(Bucket=s3['bucket'], Prefix='backups/').get('Contents', [])]
    assert any(k.startswith('backups/371gpt-') and k.endswith('.sql.gz') for k in keys), keys
    databases = docker('exec', name, 'su', 'postgres', '-c', 'psql -Atc "SELECT datname FROM pg_database"').stdout
    assert '371gpt_restore_check' not in databases.split() and '371gpt' in databases.split()
    assert not list((tmp_path / 'transit').iterdir()), 'the controller copies are removed'
