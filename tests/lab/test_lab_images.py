"""A Glance image can name the node image its servers run: 'Debian 13' boots a trixie node (pgvector hosts)."""
import json
import random
import subprocess
import uuid


def _container_image(server_id):
    out = subprocess.run(["docker", "inspect", "--format", "{{json .Config.Image}}", f"gpt371-lab-{server_id}"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return json.loads(out)


def test_debian13_image_boots_a_trixie_node(conn, cleanup):
    suffix = uuid.uuid4().hex[:8]
    net = conn.network.create_network(name=f"labtest-img-net-{suffix}")
    cleanup(lambda: conn.network.delete_network(net))
    subnet = conn.network.create_subnet(name=f"labtest-img-subnet-{suffix}", network_id=net.id, ip_version=4,
                                        cidr=f"10.{random.randint(200, 250)}.{random.randint(0, 255)}.0/24")
    cleanup(lambda: conn.network.delete_subnet(subnet))
    image = conn.image.find_image("Debian 13")
    assert image is not None, "lab.sh up creates the 'Debian 13' image"
    server = conn.compute.create_server(
        name=f"labtest-img-{suffix}", flavor_id=conn.compute.find_flavor("s1-4").id, image_id=image.id,
        networks=[{"uuid": net.id}])

    def delete_server():
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)
    cleanup(delete_server)
    server = conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], wait=180)
    assert _container_image(server.id) == "gpt371-node:trixie"
