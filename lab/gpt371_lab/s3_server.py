"""The lab's object storage: an S3-compatible endpoint (moto) with IAM authentication on.

A cloud offers object storage beside its compute (Swift's s3api, Ceph RGW); the lab offers this. It listens on
every interface so the servers reach it at their subnet's gateway address (the host side of the lab's Docker
networks), and answers only private (RFC 1918) sources and this machine itself.

It serves plain HTTP on PORT and HTTPS on TLS_PORT, with a certificate from the lab CA (lab/gpt371_lab/ca.py) for
127.0.0.1, localhost and the external network's gateway; a client that connects to another address of this machine
(a server at its subnet's gateway) gets a certificate for that address, issued on first use.

Usage: python -m gpt371_lab.s3_server STATE_FILE PORT TLS_PORT CA_DIR
Writes STATE_FILE (0600, atomically) once both endpoints are up and authenticated:
  {"port": ..., "tls_port": ..., "ca_file": ..., "region": ..., "access_key": ..., "secret_key": ...}
State is in memory: a restart gives new keys and empty buckets (the storage role re-creates them).
"""
import functools
import ipaddress
import json
import os
import socket
import ssl
import sys
import tempfile
import threading
import urllib.request

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from gpt371_lab import ca

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


# The names every client may use; other local addresses get their own certificate on first use.
STATIC_SANS = ['127.0.0.1', 'localhost', '172.24.4.1']


def _context(ca_dir, sans):
    cert_pem, key_pem = ca.issue_pem(ca_dir, 'gpt371-lab-s3', sans)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as tmp:  # load_cert_chain reads files only; they live for this call
        cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
        with open(cert, 'wb') as f:
            f.write(cert_pem)
        with os.fdopen(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), 'wb') as f:
            f.write(key_pem)
        ctx.load_cert_chain(cert, key)
    return ctx


def tls_context(ca_dir):
    """The server's context: the static certificate, or one for the local address the client reached."""
    default = _context(ca_dir, STATIC_SANS)
    per_address = {}
    lock = threading.Lock()

    def pick(sslsock, server_name, _ctx):
        addr = sslsock.getsockname()[0]
        if addr in STATIC_SANS or (server_name and server_name in STATIC_SANS):
            return None
        with lock:
            if addr not in per_address:
                per_address[addr] = _context(ca_dir, [addr] + STATIC_SANS)
            sslsock.context = per_address[addr]
        return None

    default.sni_callback = pick
    return default


def write_state(path, state):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(state, f)
    os.replace(tmp, path)


def main():
    state_file, port, tls_port, ca_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    # moto must never reach AWS nor use the caller's credentials.
    os.environ.update({'AWS_ACCESS_KEY_ID': 'provisioning', 'AWS_SECRET_ACCESS_KEY': 'provisioning',
                       'AWS_DEFAULT_REGION': REGION})
    os.environ.pop('INITIAL_NO_AUTH_ACTION_COUNT', None)
    app = private_only(DomainDispatcherApplication(create_backend_app))
    # One moto backend, two listeners: the same buckets and keys over HTTP and HTTPS.
    server = make_server('0.0.0.0', port, app, threaded=True)
    tls_server = make_server('0.0.0.0', tls_port, app, threaded=True, ssl_context=tls_context(ca_dir))
    for srv in (server, tls_server):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    access_key, secret_key = provision('http://127.0.0.1:%d' % port)
    write_state(state_file, {'port': port, 'tls_port': tls_port, 'ca_file': ca.paths(ca_dir)[1], 'region': REGION,
                             'access_key': access_key, 'secret_key': secret_key})
    print('lab object storage on 0.0.0.0:%d (HTTP) and :%d (HTTPS, lab CA), private sources only'
          % (port, tls_port), flush=True)
    threading.Event().wait()


if __name__ == '__main__':
    main()
