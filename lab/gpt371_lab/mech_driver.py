"""ML2 mechanism driver that binds every port (the lab has no L2 agents).

It also marks floating IPs ACTIVE when associated: there is no L3 agent to report it.
"""
from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.callbacks import events, registry, resources
from neutron_lib.plugins import constants as plugin_constants
from neutron_lib.plugins import directory
from neutron_lib.plugins.ml2 import api


class BindAllMechanismDriver(api.MechanismDriver):

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def initialize(self):
        for event in (events.AFTER_CREATE, events.AFTER_UPDATE):
            registry.subscribe(self._floatingip_changed, resources.FLOATING_IP, event)

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER, {},
                                status=constants.PORT_STATUS_ACTIVE)
            return

    def _floatingip_changed(self, resource, event, trigger, payload):
        fip = payload.latest_state
        status = constants.FLOATINGIP_STATUS_ACTIVE if fip.get('port_id') else constants.FLOATINGIP_STATUS_DOWN
        if fip.get('status') != status:
            directory.get_plugin(plugin_constants.L3).update_floatingip_status(
                payload.context, fip['id'], status)
