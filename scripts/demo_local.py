"""`make demo` until site.yml runs on the lab: verify.yml against real local services.

Starts PostgreSQL + pgvector (Docker), S3 (moto) and the XPipe stand-in as tests do, runs
playbooks/verify.yml with localhost as the app host, prints the report, and stops everything.
"""
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))
from services.local import LocalServices, guide_env  # noqa: E402


def main():
    with tempfile.TemporaryDirectory(prefix='gpt371-demo-') as work:
        local = LocalServices(work)
        try:
            svc = local.start()
            extra = os.path.join(work, 'demo.json')
            fd = os.open(extra, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as fh:
                json.dump({'verify_hosts': 'localhost', 'verify_env_source': 'vars', 'verify_env': guide_env(svc),
                           'verify_ca_cert': svc['ca_cert']}, fh)
            cmd = [os.path.join(REPO, '.venv', 'bin', 'ansible-playbook'), '-i',
                   os.path.join(REPO, 'tests', 'integration', 'inventory.yml'),
                   os.path.join(REPO, 'playbooks', 'verify.yml'), '-e', '@' + extra]
            env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'))
            rc = subprocess.call(cmd, cwd=REPO, env=env)
        finally:
            local.stop()
    report = os.path.join(REPO, 'reports', 'integration-report.md')
    if os.path.exists(report):
        with open(report) as fh:
            print(fh.read())
    return rc


if __name__ == '__main__':
    sys.exit(main())
