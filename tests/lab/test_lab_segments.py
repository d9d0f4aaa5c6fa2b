"""Neutron's `segments` service plugin is on, as on DevStack: a segment can be created through the API
(openstack.cloud's ci/roles subnet and network_segment need it)."""
import uuid


def test_segment_is_created_on_a_network(admin_conn, cleanup):
    name = f"gpt371-strict-seg-{uuid.uuid4().hex[:8]}"
    net = admin_conn.network.create_network(name=name)
    cleanup(lambda: admin_conn.network.delete_network(net))
    assert "segment" in {e.alias for e in admin_conn.network.extensions()}
    seg = admin_conn.network.create_segment(network_id=net.id, network_type="vxlan", name=name)
    cleanup(lambda: admin_conn.network.delete_segment(seg))
    assert seg.network_type == "vxlan" and seg.segmentation_id is not None
    segments = {s.id: s for s in admin_conn.network.segments(network_id=net.id)}
    assert seg.id in segments and segments[seg.id].name == name
    # A subnet can be put on that segment (what routed provider networks do).
    subnet = admin_conn.network.create_subnet(network_id=net.id, segment_id=seg.id, ip_version=4,
                                              cidr="192.168.250.0/24", name=name)
    cleanup(lambda: admin_conn.network.delete_subnet(subnet))
    assert subnet.segment_id == seg.id
