"""The lab's network agent: what Neutron's L3 agent and firewall driver do on a real cloud.

Every POLL seconds it reads Neutron's state (ports, security group rules, floating IPs, routers, subnets: from its
database, as Neutron's agents get it over RPC)
and Docker (the server containers), renders the wanted iptables rules and applies only what changed:

- on the host (nat table): DNAT of each associated floating IP to its fixed IP (PREROUTING and OUTPUT, so the
  controller itself reaches it), SNAT of traffic from a server to the external network to its floating IP, else to
  its router's gateway address (POSTROUTING and INPUT: the external network's only host is this machine);
- on the host (filter OUTPUT), in strict mode: new connections from this machine to a lab network's fixed IPs are
  rejected unless they were DNATed from a floating IP (the host's own gateway addresses, its services, stay open);
- in each server container's network namespace (mangle PREROUTING/POSTROUTING, so traffic DNATed to a Docker
  container inside the node is filtered at its original port, as Neutron filters it at the VM's port): the port's
  security groups, ingress and egress, with conntrack for replies and a final DROP. A port with
  port_security_enabled false gets no filter.

The switches are read on every pass from MODE_FILE (JSON: reach_fixed_ips, secgroups), written by lab.sh, so a
change takes effect within a pass, no restart.

Usage: PG_PORT=... LAB_PASS=... python -m gpt371_lab.netd MODE_FILE   |   python -m gpt371_lab.netd cleanup
"""
import hashlib
import ipaddress
import json
import logging
import os
import subprocess
import sys
import time

import docker
import psycopg2
import psycopg2.extras

LOG = logging.getLogger('gpt371-lab-netd')
POLL = 1.0
LABEL = 'gpt371-lab'
CONTAINER_PREFIX = 'gpt371-lab-'
HOST_DNAT, HOST_SNAT, HOST_STRICT = 'GPT371-LAB-DNAT', 'GPT371-LAB-SNAT', 'GPT371-LAB-STRICT'
SG_IN, SG_OUT = 'GPT371-SG-IN', 'GPT371-SG-OUT'
# Protocol names and numbers as Neutron accepts them -> iptables' name, per family.
PROTOCOLS = {'tcp': 'tcp', '6': 'tcp', 'udp': 'udp', '17': 'udp', 'sctp': 'sctp', '132': 'sctp',
             'icmp': 'icmp', '1': 'icmp', 'ipv6-icmp': 'ipv6-icmp', 'icmpv6': 'ipv6-icmp', '58': 'ipv6-icmp'}
PORTED = ('tcp', 'udp', 'sctp')
FAMILIES = {'IPv4': 'iptables', 'IPv6': 'ip6tables'}


# --- pure rendering (tested without a cloud) ------------------------------------------------------------------

def rule_matches(rule, family, group_ips):
    """iptables match arguments (a list of lists: one rule per remote address of a remote group) for one Neutron
    security group rule, for the given family ('IPv4'/'IPv6'); [] when the rule admits nothing in that family."""
    if rule.get('ethertype', 'IPv4') != family:
        return []
    args = []
    proto = rule.get('protocol')
    if proto not in (None, '', 'any', '0'):
        name = PROTOCOLS.get(str(proto).lower(), str(proto))
        if family == 'IPv6' and name == 'icmp':
            name = 'ipv6-icmp'
        args += ['-p', name]
        low, high = rule.get('port_range_min'), rule.get('port_range_max')
        if name in PORTED and low is not None:
            args += ['-m', name, '--dport', '%d:%d' % (low, high if high is not None else low)]
        elif name in ('icmp', 'ipv6-icmp') and low is not None:
            opt = '--icmp-type' if name == 'icmp' else '--icmpv6-type'
            args += [opt, str(low) if high is None else '%d/%d' % (low, high)]
    side = '-s' if rule.get('direction') == 'ingress' else '-d'
    if rule.get('remote_ip_prefix'):
        return [args + [side, rule['remote_ip_prefix']]]
    if rule.get('remote_group_id'):
        return [args + [side, ip] for ip in sorted(group_ips.get(rule['remote_group_id'], ()))
                if ipaddress.ip_address(ip).version == (4 if family == 'IPv4' else 6)]
    return [args]


def render_port_filter(ports, rules_by_group, group_ips, family):
    """iptables-restore text (mangle table) for one server's ports: [(ifname, port dict)]."""
    lines = ['*mangle', ':%s - [0:0]' % SG_IN, ':%s - [0:0]' % SG_OUT]
    chains = []
    for ifname, port in ports:
        if not port.get('port_security_enabled', True):
            continue
        cin, cout = 'GPT371-I-' + ifname, 'GPT371-O-' + ifname
        lines += [':%s - [0:0]' % cin, ':%s - [0:0]' % cout]
        lines.append('-A %s -i %s -j %s' % (SG_IN, ifname, cin))
        lines.append('-A %s -o %s -j %s' % (SG_OUT, ifname, cout))
        for chain in (cin, cout):
            chains.append('-A %s -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN' % chain)
            if family == 'IPv6':  # neighbour discovery, as Neutron always allows it
                chains += ['-A %s -p ipv6-icmp --icmpv6-type %d -j RETURN' % (chain, t) for t in (133, 134, 135, 136)]
        for group in port.get('security_groups') or ():
            for rule in rules_by_group.get(group, ()):
                chain = cin if rule.get('direction') == 'ingress' else cout
                for match in rule_matches(rule, family, group_ips):
                    chains.append(' '.join(['-A', chain] + match + ['-j', 'RETURN']))
        chains += ['-A %s -j DROP' % cin, '-A %s -j DROP' % cout]
    return '\n'.join(lines + chains + ['COMMIT', ''])


def render_host(fips, subnet_gateways, external_cidrs, lab_cidrs, reach_fixed_ips):
    """iptables-restore text for the host: fips [(floating, fixed)], subnet_gateways [(cidr, router gateway ip)]."""
    nat = ['*nat', ':%s - [0:0]' % HOST_DNAT, ':%s - [0:0]' % HOST_SNAT]
    for floating, fixed in sorted(fips):
        nat.append('-A %s -d %s/32 -j DNAT --to-destination %s' % (HOST_DNAT, floating, fixed))
        for ext in external_cidrs:
            nat.append('-A %s -s %s/32 -d %s -j SNAT --to-source %s' % (HOST_SNAT, fixed, ext, floating))
        # Hairpin: a server reaching another's floating IP comes back from the floating IP, not its neighbour.
        nat.append('-A %s -s %s/32 -m conntrack --ctstate DNAT -j SNAT --to-source %s' % (HOST_SNAT, fixed, floating))
    for cidr, gateway in sorted(subnet_gateways):
        for ext in external_cidrs:
            nat.append('-A %s -s %s -d %s -j SNAT --to-source %s' % (HOST_SNAT, cidr, ext, gateway))
        nat.append('-A %s -s %s -m conntrack --ctstate DNAT -j SNAT --to-source %s' % (HOST_SNAT, cidr, gateway))
    filt = ['*filter', ':%s - [0:0]' % HOST_STRICT]
    if not reach_fixed_ips:
        for cidr in sorted(lab_cidrs):
            # The host's own addresses on a lab network (the subnets' gateways) are its services, the lab's
            # stand-in for a cloud's public endpoints (object storage): only the servers' fixed IPs are hidden.
            filt.append('-A %s -d %s -m addrtype ! --dst-type LOCAL -m conntrack --ctstate NEW '
                        '-m conntrack ! --ctstate DNAT -j REJECT --reject-with icmp-admin-prohibited'
                        % (HOST_STRICT, cidr))
    return '\n'.join(nat + ['COMMIT'] + filt + ['COMMIT', ''])


# --- applying --------------------------------------------------------------------------------------------------

HOST_JUMPS = [('nat', 'PREROUTING', HOST_DNAT), ('nat', 'OUTPUT', HOST_DNAT), ('nat', 'POSTROUTING', HOST_SNAT),
              ('nat', 'INPUT', HOST_SNAT), ('filter', 'OUTPUT', HOST_STRICT)]
NODE_JUMPS = [('mangle', 'PREROUTING', SG_IN), ('mangle', 'POSTROUTING', SG_OUT)]


def run(cmd, stdin=None, pid=None):
    if pid is not None:
        cmd = ['nsenter', '-t', str(pid), '-n'] + cmd
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)


def ensure_jumps(binary, jumps, pid=None):
    for table, chain, target in jumps:
        if run([binary, '-w', '-t', table, '-C', chain, '-j', target], pid=pid).returncode != 0:
            run([binary, '-w', '-t', table, '-N', target], pid=pid)
            res = run([binary, '-w', '-t', table, '-I', chain, '1', '-j', target], pid=pid)
            if res.returncode:
                raise RuntimeError('%s -t %s -I %s: %s' % (binary, table, chain, res.stderr.strip()))


def restore(binary, text, pid=None):
    # --noflush: only our chains (declared in the text, hence flushed and refilled) change, atomically.
    res = run([binary + '-restore', '-w', '--noflush'], stdin=text, pid=pid)
    if res.returncode:
        raise RuntimeError('%s-restore: %s\n%s' % (binary, res.stderr.strip(), text))


def remove_host_rules():
    for table, chain, target in HOST_JUMPS:
        while run(['iptables', '-w', '-t', table, '-D', chain, '-j', target]).returncode == 0:
            pass
    for table, _, target in HOST_JUMPS:
        run(['iptables', '-w', '-t', table, '-F', target])
        run(['iptables', '-w', '-t', table, '-X', target])


class Agent:

    def __init__(self, dsn, mode_file):
        self.dsn, self.pg = dsn, None
        self.docker = docker.from_env()
        self.mode_file = mode_file
        self.applied = {}   # key -> hash of the text last applied
        self.ifnames = {}   # (container id, pid) -> {mac: ifname}

    def mode(self):
        try:
            with open(self.mode_file) as f:
                mode = json.load(f)
        except (OSError, ValueError):
            mode = {}
        return bool(mode.get('reach_fixed_ips', True)), bool(mode.get('secgroups', True))

    def db(self):
        if self.pg is None or self.pg.closed:
            self.pg = psycopg2.connect(self.dsn, connect_timeout=5)
            self.pg.autocommit = True  # every query sees Neutron's latest commit
        return self.pg

    def query(self, sql):
        with self.db().cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql)
            return [dict(r) for r in cur.fetchall()]

    def read_cloud(self):
        """Neutron's state in the shape of its API (ports with fixed_ips, security_groups, port_security_enabled;
        rules with ethertype; ...), read from its database: one pass takes milliseconds, where the API's six
        list calls took 2-8 s on the loaded machine, too slow for the 5 s a rule change may take."""
        ports = {r['id']: dict(r, fixed_ips=[], security_groups=[], port_security_enabled=True) for r in self.query(
            'SELECT id, device_id, device_owner, mac_address, network_id FROM ports')}
        for r in self.query('SELECT port_id, ip_address, subnet_id FROM ipallocations ORDER BY ip_address'):
            if r['port_id'] in ports:
                ports[r['port_id']]['fixed_ips'].append({'ip_address': r['ip_address'], 'subnet_id': r['subnet_id']})
        for r in self.query('SELECT port_id, security_group_id FROM securitygroupportbindings'):
            if r['port_id'] in ports:
                ports[r['port_id']]['security_groups'].append(r['security_group_id'])
        for r in self.query('SELECT port_id, port_security_enabled FROM portsecuritybindings'):
            if r['port_id'] in ports:
                ports[r['port_id']]['port_security_enabled'] = r['port_security_enabled']
        rules = self.query('SELECT security_group_id, direction, ethertype, protocol, port_range_min, '
                           'port_range_max, remote_ip_prefix, remote_group_id FROM securitygrouprules')
        fips = self.query('SELECT floating_ip_address, fixed_ip_address, fixed_port_id AS port_id FROM floatingips')
        routers = []
        for r in self.query('SELECT id, gw_port_id, enable_snat FROM routers'):
            gw = ports.get(r['gw_port_id']) if r['gw_port_id'] else None
            info = {'external_fixed_ips': gw['fixed_ips'], 'enable_snat': r['enable_snat']} if gw else None
            routers.append({'id': r['id'], 'external_gateway_info': info})
        subnets = {r['id']: r for r in self.query('SELECT id, network_id, cidr, ip_version FROM subnets')}
        externals = {r['network_id'] for r in self.query('SELECT network_id FROM externalnetworks')}
        return list(ports.values()), rules, fips, routers, subnets, externals

    def host_text(self, ports, fips, routers, subnets, externals, reach_fixed_ips):
        pairs = [(f['floating_ip_address'], f['fixed_ip_address']) for f in fips
                 if f.get('port_id') and f.get('fixed_ip_address')]
        gateway_of_router = {}
        for r in routers:
            info = r.get('external_gateway_info') or {}
            if not info.get('enable_snat', True):
                continue
            ips = [i['ip_address'] for i in info.get('external_fixed_ips') or ()
                   if ipaddress.ip_address(i['ip_address']).version == 4]
            if ips:
                gateway_of_router[r['id']] = ips[0]
        subnet_gateways = set()
        for p in ports:
            if p.get('device_owner') in ('network:router_interface', 'network:router_interface_distributed') \
                    and p.get('device_id') in gateway_of_router:
                for fixed in p.get('fixed_ips') or ():
                    cidr = subnets.get(fixed['subnet_id'], {}).get('cidr')
                    if cidr and ipaddress.ip_network(cidr).version == 4:
                        subnet_gateways.add((cidr, gateway_of_router[p['device_id']]))
        external_cidrs = sorted(s['cidr'] for s in subnets.values()
                                if s['network_id'] in externals and s.get('ip_version') == 4)
        lab_cidrs = set()
        for n in self.docker.networks.list(filters={'label': LABEL + '=network'}):
            for cfg in (n.attrs.get('IPAM') or {}).get('Config') or ():
                if cfg.get('Subnet'):
                    lab_cidrs.add(cfg['Subnet'])
        return render_host(pairs, subnet_gateways, external_cidrs, lab_cidrs, reach_fixed_ips)

    def container_ifnames(self, cid, pid):
        key = (cid, pid)
        if key not in self.ifnames:
            out = run(['ip', '-o', 'link'], pid=pid).stdout
            found = {}
            for line in out.splitlines():
                parts = line.split()
                if 'link/ether' in parts:
                    found[parts[parts.index('link/ether') + 1].lower()] = parts[1].rstrip(':').split('@')[0]
            self.ifnames[key] = found
        return self.ifnames[key]

    def sync(self):
        reach_fixed_ips, secgroups = self.mode()
        ports, rules, fips, routers, subnets, externals = self.read_cloud()
        self.apply('host', 'iptables', HOST_JUMPS, None,
                   self.host_text(ports, fips, routers, subnets, externals, reach_fixed_ips))
        rules_by_group = {}
        for r in rules:
            rules_by_group.setdefault(r['security_group_id'], []).append(r)
        group_ips = {}
        for p in ports:
            for g in p.get('security_groups') or ():
                group_ips.setdefault(g, set()).update(i['ip_address'] for i in p.get('fixed_ips') or ())
        ports_of = {}
        for p in ports:
            if (p.get('device_owner') or '').startswith('compute:'):
                ports_of.setdefault(p['device_id'], []).append(p)
        live = set()
        for c in self.docker.containers.list(filters={'label': LABEL + '=server'}):
            pid = c.attrs['State'].get('Pid')
            uuid = c.labels.get(LABEL + '.instance')
            if not pid or uuid not in ports_of:
                continue
            macs = self.container_ifnames(c.id, pid)
            mine = [(macs[p['mac_address'].lower()], p) for p in ports_of[uuid] if p['mac_address'].lower() in macs]
            for family, binary in FAMILIES.items():
                text = render_port_filter(mine if secgroups else [], rules_by_group, group_ips, family)
                key = (c.id, pid, family)
                live.add(key)
                self.apply(key, binary, NODE_JUMPS, pid, text)
        for key in [k for k in self.applied if k != 'host' and k not in live]:
            del self.applied[key]
        self.ifnames = {k: v for k, v in self.ifnames.items() if any(k == (l[0], l[1]) for l in live)}

    def apply(self, key, binary, jumps, pid, text):
        digest = hashlib.sha256(text.encode()).hexdigest()
        if self.applied.get(key) == digest:
            return
        ensure_jumps(binary, jumps, pid)
        restore(binary, text, pid)
        self.applied[key] = digest
        LOG.info('applied %s rules for %s (%d lines)', binary, key if key == 'host' else key[0][:12],
                 text.count('\n'))

    def loop(self):
        passes = 0
        while True:
            t0 = time.monotonic()
            try:
                self.sync()
            except Exception:  # a pass that fails (Neutron restarting, container gone) is retried next pass
                LOG.exception('sync failed')
                self.applied.clear()
                if self.pg is not None:
                    self.pg.close()
                    self.pg = None
            passes += 1
            if passes % 60 == 1:
                LOG.info('pass %d took %.0f ms', passes, 1000 * (time.monotonic() - t0))
            if passes % 60 == 0:
                self.applied.clear()  # re-check the jumps now and then: a restarted container has a new netns
            time.sleep(max(0.0, POLL - (time.monotonic() - t0)))


def main():
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s', stream=sys.stdout)
    if sys.argv[1:2] == ['cleanup']:
        remove_host_rules()
        return
    mode_file = sys.argv[1]
    # Neutron's database, as its own config names it (lab/config/neutron.conf), password from the environment.
    dsn = 'host=127.0.0.1 port=%s dbname=neutron user=lab password=%s' % (os.environ['PG_PORT'],
                                                                          os.environ['LAB_PASS'])
    Agent(dsn, mode_file).loop()


if __name__ == '__main__':
    main()
