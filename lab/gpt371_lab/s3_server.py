"""The lab's object storage: an S3-compatible endpoint (moto) with IAM authentication on.

A cloud offers object storage beside its compute (Swift's s3api, Ceph RGW); the lab offers this. It listens on
every interface so the servers reach it at their subnet's gateway address (the host side of the lab's Docker
networks), and answers only private (RFC 1918) sources and this machine itself.

Usage: python -m gpt371_lab.s3_server STATE_FILE PORT
Writes STATE_FILE (0600, atomically) once the endpoint is up and authenticated:
  {"port": ..., "region": ..., "access_key": ..., "secret_key": ...}
State is in memory: a restart gives new keys and empty buckets (the storage role re-creates them).
"""
import functools
import ipaddress
import json
import os
import socket
import sys
import threading
import urllib.request

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

REGION = 'us-east-1'
USER = 'gpt371-app'
POLICY = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}
ALLOWED = [ipaddress.ip_network(n) for n in ('127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')]


@functools.lru_cache(maxsize=256)
def allowed(addr):
    try:
        if any(ipaddress.ip_address(addr) in n for n in ALLOWED):
            return True
        # This machine talking to itself through a bridge address uses its own (public) source address.
        with socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET) as s:
            s.bind((addr, 0))
        return True
    except (ValueError, OSError):
        return False


def private_only(app):
    def guarded(environ, start_response):
        ok = allowed(environ.get('REMOTE_ADDR', ''))
        if not ok:
            start_response('403 Forbidden', [('Content-Type', 'text/plain')])
            return [b'the lab object storage answers only private addresses and this machine\n']
        return app(environ, start_response)
    return guarded


def provision(endpoint):
    def client(service, key, secret):
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key,
                            aws_secret_access_key=secret, config=Config(retries={'max_attempts': 1}))
    iam = client('iam', 'provisioning', 'provisioning')
    iam.create_user(UserName=USER)
    iam.put_user_policy(UserName=USER, PolicyName=USER + '-s3', PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName=USER)['AccessKey']
    # From here on every request is signed and authorized against the user above.
    req = urllib.request.Request(endpoint + '/moto-api/reset-auth', data=b'0', method='POST',
                                 headers={'Content-Type': 'text/plain'})
    with urllib.request.urlopen(req, timeout=10):
        pass
    return key['AccessKeyId'], key['SecretAccessKey']


def write_state(path, state):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(state, f)
    os.replace(tmp, path)


def main():
    state_file, port = sys.argv[1], int(sys.argv[2])
    # moto must never reach AWS nor use the caller's credentials.
    os.environ.update({'AWS_ACCESS_KEY_ID': 'provisioning', 'AWS_SECRET_ACCESS_KEY': 'provisioning',
                       'AWS_DEFAULT_REGION': REGION})
    os.environ.pop('INITIAL_NO_AUTH_ACTION_COUNT', None)
    server = make_server('0.0.0.0', port, private_only(DomainDispatcherApplication(create_backend_app)),
                         threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    access_key, secret_key = provision('http://127.0.0.1:%d' % port)
    write_state(state_file, {'port': port, 'region': REGION, 'access_key': access_key, 'secret_key': secret_key})
    print('lab object storage on 0.0.0.0:%d (private sources only)' % port, flush=True)
    threading.Event().wait()


if __name__ == '__main__':
    main()
