"""Time one server as the collection's user: create → ACTIVE and create → SSH login, then clean up.

Usage: python -m gpt371_lab.measure_server CLOUDS_YAML
"""
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid

from openstack import config as os_config
from openstack import connection


def ssh_ok(ip, key):
    return subprocess.run(['ssh', '-i', key, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=2',
                           '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                           f'root@{ip}', 'true'], capture_output=True, timeout=30).returncode == 0


def main():
    region = os_config.OpenStackConfig(config_files=[sys.argv[1]], load_envvars=False).get_one(cloud='gpt371-lab')
    conn = connection.Connection(config=region)
    suffix = uuid.uuid4().hex[:8]
    undo = []
    try:
        net = conn.network.create_network(name=f'measure-{suffix}')
        undo.append(lambda: conn.network.delete_network(net))
        conn.network.create_subnet(network_id=net.id, ip_version=4,
                                   cidr=f'10.{random.randint(200, 250)}.{random.randint(0, 255)}.0/24')
        with tempfile.TemporaryDirectory() as tmp:
            key = os.path.join(tmp, 'key')
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key], check=True)
            kp = conn.compute.create_keypair(name=f'measure-{suffix}', public_key=open(key + '.pub').read())
            undo.append(lambda: conn.compute.delete_keypair(kp))
            t0 = time.monotonic()
            server = conn.compute.create_server(
                name=f'measure-{suffix}', flavor_id=conn.compute.find_flavor('s1-4').id,
                image_id=conn.image.find_image('Ubuntu 20.04').id, networks=[{'uuid': net.id}], key_name=kp.name)
            undo.append(lambda: (conn.compute.delete_server(server),
                                 conn.compute.wait_for_delete(server, wait=120)))
            server = conn.compute.wait_for_server(server, wait=180, interval=0.5)
            active = time.monotonic() - t0
            ip = server.addresses[net.name][0]['addr']
            for _ in range(120):
                if ssh_ok(ip, key):
                    break
                time.sleep(0.5)
            else:
                sys.exit('server never became SSH-reachable')
            print(f'server create -> ACTIVE: {active:.1f} s')
            print(f'server create -> SSH login: {time.monotonic() - t0:.1f} s')
    finally:
        for action in reversed(undo):
            action()


if __name__ == '__main__':
    main()
