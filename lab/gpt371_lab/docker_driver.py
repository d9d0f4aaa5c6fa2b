"""Nova compute driver: Nova's fake driver for the bookkeeping, one node container per server.

Each server gets a container of the node image (sshd, python3) on a Docker network that
mirrors its Neutron subnet, at the fixed IP and MAC Neutron gave the port, with the
keypair's public key installed. Docker is the source of truth for power state, so a
nova-compute restart does not lose servers.

The console log (`openstack console log show`) is the container's output followed by the
server's SSH host public keys between the markers cloud-init prints them in, so a client
pins host keys from the console as on a real cloud. A server keeps its host key while it exists, also when
`lab.sh down` + `up` re-creates its container (as a real server keeps its disk over a hypervisor restart);
a rebuilt server gets a new one.
"""
import io
import os
import shutil
import subprocess
import tarfile
import time

import docker
from docker import errors
import nova.conf
from nova import exception
from nova.compute import power_state
from nova.virt import fake
from nova.virt import hardware
from oslo_concurrency import lockutils
from oslo_log import log as logging

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

IMAGE = 'gpt371-node:bookworm'
PREFIX = 'gpt371-lab-'
LABEL = 'gpt371-lab'
# The engine is 20.10: API 1.41 takes a MAC in the endpoint config (newer clients refuse it).
API_VERSION = '1.41'
# What a Docker engine inside the node needs (engine 20.10 knows no BPF/PERFMON/CHECKPOINT_RESTORE;
# --privileged fails in this environment).
CAPS = ('CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE '
        'NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO '
        'SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE '
        'AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND '
        'AUDIT_READ').split()
SECURITY_OPT = ['seccomp=unconfined', 'apparmor=unconfined']


def container_name(instance):
    return PREFIX + instance.uuid


class DockerDriver(fake.FakeDriverWithoutFakeNodes):

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        # DOCKER_HOST as the docker CLI reads it: the fresh-machine rehearsal runs the lab on its own engine.
        self._api = docker.APIClient(base_url=os.environ.get('DOCKER_HOST', 'unix:///var/run/docker.sock'),
                                     version=API_VERSION)

    # --- Docker side -----------------------------------------------------------------

    def _container(self, instance):
        try:
            return self._api.inspect_container(container_name(instance))
        except errors.NotFound:
            return None

    def _ensure_network(self, vif):
        """The vif's Docker network, made if missing (under the networks lock: see _create_on_networks)."""
        net = vif['network']
        name = PREFIX + 'net-' + net['id']
        if self._api.networks(names=[name]):
            return name
        subnet = next(s for s in net['subnets'] if s['version'] == 4)
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
            subnet=subnet['cidr'], gateway=subnet['gateway']['address'])])
        options = {}
        if net.get('meta', {}).get('mtu'):
            options['com.docker.network.driver.mtu'] = str(net['meta']['mtu'])
        self._api.create_network(name, driver='bridge', ipam=ipam, options=options,
                                 labels={LABEL: 'network', LABEL + '.neutron-network': net['id']})
        LOG.info('created docker network %s for subnet %s', name, subnet['cidr'])
        return name

    @lockutils.synchronized('gpt371-lab-docker-networks')
    def _prune_networks(self):
        # A container created but not started yet has no endpoint on its networks (the network lists no
        # container), yet starts on them: a network any of the lab's containers names, in any state, stays.
        named = set()
        for found in self._api.containers(all=True, filters={'label': LABEL + '=server'}):
            named.update(((found.get('NetworkSettings') or {}).get('Networks') or {}).keys())
        for net in self._api.networks(filters={'label': LABEL + '=network'}):
            if net['Name'] not in named and not self._api.inspect_network(net['Id']).get('Containers'):
                self._api.remove_network(net['Id'])

    @staticmethod
    def _endpoint(vif):
        ip = next(ip['address'] for s in vif['network']['subnets'] if s['version'] == 4 for ip in s['ips'])
        return {'IPAMConfig': {'IPv4Address': ip}, 'MacAddress': vif['address']}

    def _create_container(self, instance, network_info):
        vifs = [vif for vif in (network_info or [])
                if any(s['version'] == 4 and s['ips'] for s in vif['network']['subnets'])]
        container, networks = self._create_on_networks(instance, vifs)
        self._api.put_archive(container['Id'], '/etc/ssh', self._host_key_archive(instance.uuid))
        self._api.start(container['Id'])
        LOG.info('started container %s for %s at %s', container_name(instance), instance.uuid,
                 [e['IPAMConfig']['IPv4Address'] for _, e in networks])

    @lockutils.synchronized('gpt371-lab-docker-networks')
    def _create_on_networks(self, instance, vifs):
        """The container, created on its networks (made when missing), and the (network, endpoint) pairs. One
        step under the networks lock: another server's spawn or delete prunes unused networks, and a network
        made here but not yet named by a container would be pruned before this server starts on it."""
        networks = [(self._ensure_network(vif), self._endpoint(vif)) for vif in vifs]
        host_config = self._api.create_host_config(
            cap_add=CAPS, security_opt=SECURITY_OPT, binds=['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
            network_mode=networks[0][0] if networks else 'none')
        # The CLI's `--security-opt systempaths=unconfined` is these two engine fields.
        host_config.update(MaskedPaths=[], ReadonlyPaths=[])
        networking = (self._api.create_networking_config({networks[0][0]: networks[0][1]})
                      if networks else None)
        # A Glance image may name its node image (property gpt371_node_image); Nova copies image
        # properties into the instance's system metadata with an image_ prefix.
        image = (instance.system_metadata or {}).get('image_gpt371_node_image') or IMAGE
        container = self._api.create_container(
            image, name=container_name(instance), hostname=instance.hostname or instance.uuid[:12],
            # Engine 20.10 takes the first network's MAC from the container config, not the endpoint.
            mac_address=networks[0][1]['MacAddress'] if networks else None,
            environment={'NODE_AUTHORIZED_KEY': instance.key_data or ''},
            labels={LABEL: 'server', LABEL + '.instance': instance.uuid},
            volumes=['/var/lib/docker'], host_config=host_config, networking_config=networking)
        # Docker attaches one network at create time; further NICs before start.
        for name, endpoint in networks[1:]:
            self._api.connect_container_to_network(container['Id'], name,
                                                   ipv4_address=endpoint['IPAMConfig']['IPv4Address'])
        return container, networks

    @staticmethod
    def _host_key_dir(uuid):
        return os.path.join(CONF.state_path, 'host-keys', uuid)

    def _host_key_archive(self, uuid):
        """The server's ed25519 host key, made at its first boot and kept in Nova's state directory until the
        server is destroyed (deleted or rebuilt). With it the entrypoint skips `ssh-keygen -A`, whose RSA key takes
        seconds on a busy machine and delays SSH."""
        directory = self._host_key_dir(uuid)
        key = os.path.join(directory, 'ssh_host_ed25519_key')
        if not os.path.isfile(key + '.pub'):  # (a key without its .pub is a half-made one: made again)
            os.makedirs(directory, mode=0o700, exist_ok=True)
            if os.path.exists(key):
                os.unlink(key)
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key], check=True)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w') as tar:
            for name in ('ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub'):
                info = tar.gettarinfo(os.path.join(directory, name), arcname=name)
                info.uid = info.gid = 0
                with open(os.path.join(directory, name), 'rb') as f:
                    tar.addfile(info, f)
        return buf.getvalue()

    def _ensure_running(self, instance, network_info):
        found = self._container(instance)
        if found is None:
            self._create_container(instance, network_info)
        elif not found['State']['Running']:
            self._api.start(found['Id'])

    def _remove_container(self, instance):
        try:
            self._api.remove_container(container_name(instance), force=True, v=True)
        except errors.NotFound:
            pass
        self._prune_networks()

    # --- Nova driver hooks -------------------------------------------------------------

    def spawn(self, context, instance, image_meta, injected_files, admin_password, allocations,
              network_info=None, block_device_info=None, power_on=True, **kwargs):
        super().spawn(context, instance, image_meta, injected_files, admin_password, allocations,
                      network_info, block_device_info, power_on, **kwargs)
        self._remove_container(instance)  # leftovers of an earlier attempt on this uuid
        # LAB_BOOT_DELAY: a real hypervisor takes a while to boot; the server stays in BUILD that long.
        time.sleep(float(os.environ.get('LAB_BOOT_DELAY') or 0))
        self._create_container(instance, network_info)
        if not power_on:
            self._api.stop(container_name(instance), timeout=5)

    def destroy(self, context, instance, network_info, *args, **kwargs):
        self._remove_container(instance)
        # Deleted, or rebuilt (Nova destroys, then spawns): the next boot of this ID makes a new host key.
        shutil.rmtree(self._host_key_dir(instance.uuid), ignore_errors=True)
        super().destroy(context, instance, network_info, *args, **kwargs)

    def power_off(self, instance, *args, **kwargs):
        if self._container(instance):
            self._api.stop(container_name(instance), timeout=5)
        super().power_off(instance, *args, **kwargs)

    def power_on(self, context, instance, network_info, *args, **kwargs):
        self._ensure_running(instance, network_info)
        super().power_on(context, instance, network_info, *args, **kwargs)

    def reboot(self, context, instance, network_info, *args, **kwargs):
        if self._container(instance):
            self._api.restart(container_name(instance), timeout=5)
        else:
            self._create_container(instance, network_info)
        super().reboot(context, instance, network_info, *args, **kwargs)

    def resume_state_on_host_boot(self, context, instance, network_info, *args, **kwargs):
        # After `lab.sh down` + `up` the containers are gone: bring running servers back.
        self._ensure_running(instance, network_info)

    def get_info(self, instance, use_cache=True):
        found = self._container(instance)
        if found is None:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        state = power_state.RUNNING if found['State']['Running'] else power_state.SHUTDOWN
        return hardware.InstanceInfo(state=state)

    def get_console_output(self, context, instance):
        """The container's output, then its SSH host keys as cloud-init prints them (cc_keys_to_console):
        only while the server runs, as a real console shows them once the first boot printed them."""
        found = self._container(instance)
        if found is None:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        logs = self._api.logs(found['Id'], stdout=True, stderr=True, tail=200) or b''
        if not found['State']['Running']:
            return logs
        keys = self._host_public_keys(found['Id'])
        if not keys:
            return logs
        host = instance.hostname or instance.uuid[:12]
        block = ['-----BEGIN SSH HOST KEY KEYS-----']
        block += ['%s root@%s' % (' '.join(key.split()[:2]), host) for key in keys]
        block += ['-----END SSH HOST KEY KEYS-----', '']
        return logs + ('\n'.join(block)).encode('ascii')

    def _host_public_keys(self, container_id):
        """The ssh_host_*_key.pub lines of the node (sorted by file name)."""
        try:
            stream, _stat = self._api.get_archive(container_id, '/etc/ssh')
        except errors.APIError:
            return []
        with tarfile.open(fileobj=io.BytesIO(b''.join(stream))) as tar:
            members = sorted((m for m in tar.getmembers()
                              if m.isfile() and os.path.basename(m.name).startswith('ssh_host_')
                              and m.name.endswith('_key.pub')), key=lambda m: m.name)
            return [tar.extractfile(m).read().decode('ascii', 'replace').strip() for m in members]

    def list_instance_uuids(self):
        return [c['Labels'][LABEL + '.instance']
                for c in self._api.containers(all=True, filters={'label': LABEL + '=server'})]
