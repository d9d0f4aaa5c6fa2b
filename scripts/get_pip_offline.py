"""Offline stand-in for the pip bootstrap script ansible-test downloads.

ansible-test --venv fetches get-pip.py from a host that is unreachable here;
ensurepip gives the same result from the interpreter's own wheel.
"""
import ensurepip
import os
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null, which hides the CA setting in /etc/pip.conf.
env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE" and not k.startswith("ENSUREPIP_")}
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args, env=env))
