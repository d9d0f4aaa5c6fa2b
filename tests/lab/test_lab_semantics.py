"""The lab is a real cloud: Neutron's own API semantics, as the collection's non-admin user."""
import uuid

import pytest
from openstack import exceptions


def _name(what):
    return f"labtest-{what}-{uuid.uuid4().hex[:8]}"


def test_non_admin_cannot_create_external_network(conn):
    with pytest.raises(exceptions.ForbiddenException) as err:
        net = conn.network.create_network(name=_name("ext"), is_router_external=True)
        conn.network.delete_network(net)  # only reached if the policy let it through
    assert err.value.status_code == 403


def test_new_security_group_has_default_egress_rules(conn, cleanup):
    sg = conn.network.create_security_group(name=_name("sg"))
    cleanup(lambda: conn.network.delete_security_group(sg))
    rules = list(conn.network.security_group_rules(security_group_id=sg.id))
    egress = sorted((r.ether_type, r.protocol, r.remote_ip_prefix) for r in rules if r.direction == "egress")
    assert egress == [("IPv4", None, None), ("IPv6", None, None)]
    assert not [r for r in rules if r.direction == "ingress"]


def test_duplicate_security_group_rule_conflicts(conn, cleanup):
    sg = conn.network.create_security_group(name=_name("sg"))
    cleanup(lambda: conn.network.delete_security_group(sg))
    rule = dict(security_group_id=sg.id, direction="ingress", ether_type="IPv4", protocol="tcp",
                port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0")
    conn.network.create_security_group_rule(**rule)
    with pytest.raises(exceptions.ConflictException) as err:
        conn.network.create_security_group_rule(**rule)
    assert err.value.status_code == 409


def test_flavor_image_and_external_network_are_provided(conn):
    assert conn.compute.find_flavor("s1-4") is not None
    image = conn.image.find_image("Ubuntu 20.04")
    assert image is not None and image.status == "active"
    public = conn.network.find_network("public")
    assert public is not None and public.is_router_external
