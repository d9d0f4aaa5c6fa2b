"""A server on the lab is a real host: the full path a provisioning role takes, as the non-admin user.

network → subnet → router (external gateway) → security group + rules → keypair → server ACTIVE →
floating IP → `ansible -m ping` over SSH at the floating IP (the lab is strict) → delete → its container is gone.
"""
import os
import random
import subprocess
import time
import uuid

from conftest import REPO

ANSIBLE = os.path.join(REPO, ".venv", "bin", "ansible")


def _container_exists(server_id):
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"name=^gpt371-lab-{server_id}$"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return bool(out.strip())


def test_server_reachable_by_ansible_and_removed_with_its_container(conn, cleanup, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    net = conn.network.create_network(name=f"labtest-net-{suffix}")
    cleanup(lambda: conn.network.delete_network(net))
    # A random /24 so a left-over Docker network of an earlier run cannot clash with it.
    cidr = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}.0/24"
    subnet = conn.network.create_subnet(name=f"labtest-subnet-{suffix}", network_id=net.id, ip_version=4,
                                        cidr=cidr)
    cleanup(lambda: conn.network.delete_subnet(subnet))
    public = conn.network.find_network("public")
    router = conn.network.create_router(name=f"labtest-router-{suffix}",
                                        external_gateway_info={"network_id": public.id})
    cleanup(lambda: conn.network.delete_router(router))
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    cleanup(lambda: conn.network.remove_interface_from_router(router, subnet=subnet.id))
    assert router.external_gateway_info["network_id"] == public.id

    sg = conn.network.create_security_group(name=f"labtest-sg-{suffix}")
    cleanup(lambda: conn.network.delete_security_group(sg))
    ssh_rule = conn.network.create_security_group_rule(
        security_group_id=sg.id, direction="ingress", ether_type="IPv4", protocol="tcp",
        port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0")
    assert ssh_rule.security_group_id == sg.id

    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    keypair = conn.compute.create_keypair(name=f"labtest-key-{suffix}",
                                          public_key=(tmp_path / "id_ed25519.pub").read_text())
    cleanup(lambda: conn.compute.delete_keypair(keypair))

    server = conn.compute.create_server(
        name=f"labtest-server-{suffix}", flavor_id=conn.compute.find_flavor("s1-4").id,
        image_id=conn.image.find_image("Ubuntu 20.04").id, networks=[{"uuid": net.id}],
        key_name=keypair.name, security_groups=[{"name": sg.name}])

    def delete_server():
        if conn.compute.find_server(server.id):
            conn.compute.delete_server(server)
            conn.compute.wait_for_delete(server, wait=120)
    cleanup(delete_server)
    server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180, interval=1)
    private_v4 = next(a["addr"] for a in server.addresses[net.name] if a["version"] == 4)
    port = next(conn.network.ports(device_id=server.id))
    assert port.mac_address == next(a["OS-EXT-IPS-MAC:mac_addr"] for a in server.addresses[net.name])
    assert _container_exists(server.id)

    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    cleanup(lambda: conn.network.delete_ip(fip))
    assert fip.floating_ip_address and fip.fixed_ip_address == private_v4
    # No L3 agent here: the lab's ML2 driver reports associated floating IPs ACTIVE.
    for _try in range(20):
        if conn.network.get_ip(fip).status == "ACTIVE":
            break
        time.sleep(0.5)
    assert conn.network.get_ip(fip).status == "ACTIVE"

    # A throw-away server: its key is not pinned (the collection's runs pin keys; this test checks the path).
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no")
    address = fip.floating_ip_address  # the controller reaches servers only through floating IPs
    for _try in range(30):  # sshd may need a moment after ACTIVE
        ping = subprocess.run([ANSIBLE, "all", "-i", f"{address},", "-u", "root", "--private-key", str(key),
                               "-m", "ansible.builtin.ping"], capture_output=True, text=True, env=env,
                              cwd=REPO, timeout=120, check=False)
        if ping.returncode == 0:
            break
        time.sleep(1)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert f"{address} | SUCCESS" in ping.stdout and "pong" in ping.stdout, ping.stdout

    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=120)
    assert not _container_exists(server.id)
