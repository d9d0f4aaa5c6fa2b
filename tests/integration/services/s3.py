"""S3 stand-in: moto[server] over HTTP and HTTPS with IAM authentication ON.

Denials are real: after provisioning, moto checks SigV4 signatures and IAM policies, so a wrong
secret gets SignatureDoesNotMatch and the read-only identity gets AccessDenied on PutObject.
"""
import json
import os
import selectors
import subprocess
import sys
import urllib.request

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
BUCKET = "371gpt-assets"
MISSING_BUCKET = "gpt371-no-such-bucket"

FULL_POLICY = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
# AWS authorizes HeadBucket with s3:ListBucket; moto checks a pseudo-action s3:HeadBucket instead,
# so both are granted. No s3:PutObject / s3:DeleteObject: writes are denied.
READONLY_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:HeadBucket", "s3:GetBucketLocation"],
     "Resource": f"arn:aws:s3:::{BUCKET}"},
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"},
]}


def client(service, endpoint, access_key, secret_key, **kw):
    """boto3 client for the stand-in (path-style: 127.0.0.1 has no bucket subdomains)."""
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
                        **kw)


class MotoS3:
    def __init__(self, pki, workdir):
        self.pki = pki
        self.workdir = workdir
        self.proc = None
        self.log_path = os.path.join(workdir, "moto.log")

    def start(self, timeout=30):
        env = dict(os.environ)
        env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)  # auth off while we provision; enabled below
        # moto must not talk to real AWS or pick up the caller's credentials.
        env.update({"AWS_ACCESS_KEY_ID": "provisioning", "AWS_SECRET_ACCESS_KEY": "provisioning",
                    "AWS_DEFAULT_REGION": REGION})
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "moto_main.py"),
             self.pki["server_cert"], self.pki["server_key"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, cwd=self.workdir)
        ports = self._read_ports(timeout)
        self.endpoint = f"http://127.0.0.1:{ports['http']}"
        self.endpoint_https = f"https://127.0.0.1:{ports['https']}"
        return self._provision()

    def _read_ports(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"moto server did not start within {timeout}s:\n{self._log_tail()}")
        return json.loads(self.proc.stdout.readline())

    def _log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as fh:
                return "".join(fh.readlines()[-n:])
        except OSError:
            return ""

    def _provision(self):
        iam = client("iam", self.endpoint, "provisioning", "provisioning")
        keys = {}
        for user, policy in (("gpt371-app", FULL_POLICY), ("gpt371-readonly", READONLY_POLICY)):
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName=f"{user}-s3", PolicyDocument=json.dumps(policy))
            k = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (k["AccessKeyId"], k["SecretAccessKey"])
        client("s3", self.endpoint, *keys["gpt371-app"]).create_bucket(Bucket=BUCKET)

        # From now on every request is authenticated and authorized against the IAM users above.
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                     # not form-encoded: moto reads the raw body, Flask would consume a form
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            if resp.status != 200:
                raise RuntimeError(f"could not enable moto auth: HTTP {resp.status}")

        return {
            "endpoint": self.endpoint,
            "endpoint_https": self.endpoint_https,
            "region": REGION,
            "access_key": keys["gpt371-app"][0],
            "secret_key": keys["gpt371-app"][1],
            "bucket": BUCKET,
            "readonly_access_key": keys["gpt371-readonly"][0],
            "readonly_secret_key": keys["gpt371-readonly"][1],
            "missing_bucket": MISSING_BUCKET,
        }

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.close()  # moto_main exits when its stdin closes
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)
