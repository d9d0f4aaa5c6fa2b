"""Idempotent set-up of the lab cloud through the APIs, as the bootstrap admin.

Creates what a real cloud has: service users with the `service` role, the catalog,
a project and non-admin user for the collection, flavors, an image, the external
network; then writes clouds.yaml. Every step is find-or-create, so a re-run changes nothing.
"""
import os
import sys

import openstack
import yaml

KEYSTONE = 'http://127.0.0.1:5000/v3'
REGION = 'RegionOne'
SERVICES = {  # name: (type, url)
    'placement': ('placement', 'http://127.0.0.1:8778'),
    'nova': ('compute', 'http://127.0.0.1:8774/v2.1'),
    'neutron': ('network', 'http://127.0.0.1:9696'),
    'glance': ('image', 'http://127.0.0.1:9292'),
}
FLAVORS = {  # name: (vcpus, ram MiB, disk GiB)
    's1-2': (1, 2048, 10),
    's1-4': (1, 4096, 20),
    's1-8': (2, 8192, 40),
    'b2-7': (2, 7168, 50),
}
PROJECT = 'gpt371'
USER = 'gpt371'


def ensure(finder, creator, name, **attrs):
    return finder(name) or creator(name=name, **attrs)


def identity(conn, password):
    idc = conn.identity
    service_project = ensure(lambda n: idc.find_project(n, domain_id='default'), idc.create_project,
                             'service', domain_id='default')
    roles = {r: idc.find_role(r) or idc.create_role(name=r) for r in ('admin', 'service', 'member')}
    for name, (stype, url) in SERVICES.items():
        user = ensure(lambda n: idc.find_user(n, domain_id='default'), idc.create_user, name,
                      domain_id='default', password=password)
        for role in ('admin', 'service'):
            conn.identity.assign_project_role_to_user(service_project, user, roles[role])
        service = ensure(lambda n: next(idc.services(name=n), None), idc.create_service, name, type=stype)
        have = {e.interface for e in idc.endpoints(service_id=service.id)}
        for interface in {'public', 'internal', 'admin'} - have:
            idc.create_endpoint(service_id=service.id, interface=interface, url=url, region_id=REGION)
    project = ensure(lambda n: idc.find_project(n, domain_id='default'), idc.create_project, PROJECT,
                     domain_id='default', description='gpt371.infra collection')
    user = ensure(lambda n: idc.find_user(n, domain_id='default'), idc.create_user, USER,
                  domain_id='default', password=password, default_project_id=project.id)
    conn.identity.assign_project_role_to_user(project, user, roles['member'])


# The guide's image name (a Debian 12 node under it), and Debian 13 for database hosts (pgvector).
IMAGES = {'Ubuntu 20.04': 'gpt371-node:bookworm', 'Debian 13': 'gpt371-node:trixie'}

def compute_and_image(conn, image_file):
    for name, (vcpus, ram, disk) in FLAVORS.items():
        if not conn.compute.find_flavor(name):
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    # Glance checks the data against disk_format: a small raw disk is valid data. The property
    # tells the lab's compute driver which node image runs the server.
    for name, node_image in IMAGES.items():
        if not conn.image.find_image(name):
            conn.create_image(name, filename=image_file, disk_format='raw', container_format='bare',
                              visibility='public', wait=True, gpt371_node_image=node_image)


def external_network(conn):
    net = conn.network.find_network('public') or conn.network.create_network(
        name='public', is_router_external=True, provider_network_type='flat',
        provider_physical_network='public')
    if not conn.network.find_subnet('public-subnet', network_id=net.id):
        conn.network.create_subnet(name='public-subnet', network_id=net.id, ip_version=4,
                                   cidr='172.24.4.0/24', gateway_ip='172.24.4.1', is_dhcp_enabled=False,
                                   allocation_pools=[{'start': '172.24.4.10', 'end': '172.24.4.250'}])


def quotas(conn):
    """Room for a few deployments at once (each: 4 servers + agent_count, 4 security groups): the defaults
    (10 instances, 10 security groups) stop a second deployment or agent_count=8."""
    project = conn.identity.find_project(PROJECT, domain_id='default')
    conn.set_compute_quotas(project.id, instances=50, cores=200, ram=512000)
    conn.set_network_quotas(project.id, security_group=100, security_group_rule=1000, port=500, network=50,
                            subnet=50, router=20, floatingip=50)


def write_clouds_yaml(path, password, admin_password):
    def cloud(user, project, pw):
        return {'auth': {'auth_url': KEYSTONE, 'username': user, 'password': pw, 'project_name': project,
                         'user_domain_name': 'Default', 'project_domain_name': 'Default'},
                'region_name': REGION, 'interface': 'public', 'identity_api_version': 3}
    data = {'clouds': {'gpt371-lab': cloud(USER, PROJECT, password),
                       'gpt371-lab-admin': cloud('admin', 'admin', admin_password)}}
    with open(path + '.tmp', 'w') as f:
        yaml.safe_dump(data, f, default_flow_style=False)
    os.chmod(path + '.tmp', 0o600)
    os.replace(path + '.tmp', path)


def main():
    clouds_yaml, image_file = sys.argv[1:3]
    password, admin_password = os.environ['LAB_PASS'], os.environ['LAB_ADMIN_PASS']
    def connect():
        return openstack.connect(load_yaml_config=False, load_envvars=False, auth_url=KEYSTONE,
                                 username='admin', password=admin_password, project_name='admin',
                                 user_domain_name='Default', project_domain_name='Default',
                                 region_name=REGION)
    identity(connect(), password)
    conn = connect()  # a fresh token: its catalog holds the endpoints just created
    compute_and_image(conn, image_file)
    external_network(conn)
    quotas(conn)
    write_clouds_yaml(clouds_yaml, password, admin_password)


if __name__ == '__main__':
    main()
