from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    """The device cloud: identity, ownership, shadow state, commands, automations, OTA, fleet."""

    name = "millet.devices"
    label = "devices"
    verbose_name = _("Device cloud")

    def ready(self) -> None:
        from millet.devices import events
        from millet.web import nav

        for key, label, url_name, about, order in (
            (
                "automations",
                _("Automations"),
                "devices_owner:automations",
                _("Your devices acting on their own."),
                32,
            ),
            (
                "device-sharing",
                _("Device sharing"),
                "devices_owner:sharing",
                _("Invite family members to your devices."),
                33,
            ),
            ("device-claim", _("Add a device"), "devices_owner:claim", _("Scan the QR code in the box."), 34),
            (
                "device-updates",
                _("Updates and notifications"),
                "devices_owner:updates",
                _("Firmware, and what your devices told you."),
                35,
            ),
        ):
            nav.add(nav.Link(nav.ACCOUNT, key, label, url_name, nav.signed_in, about, order=order))
        from millet.devices.services import automations, ota, ownership
        from millet.sales.events import order_fulfilled, units_returned
        from millet.web import nav

        about = _("Your homes and connected devices: live readings, controls and history.")
        nav.add(
            nav.Link(
                nav.ACCOUNT, "devices", _("My devices"), "devices:devices", nav.signed_in, about, order=25
            )
        )

        # Sales announces sold and returned serials; the device cloud binds and unbinds from them.
        order_fulfilled.connect(ownership.on_order_fulfilled, dispatch_uid="devices.order_fulfilled")
        units_returned.connect(ownership.on_units_returned, dispatch_uid="devices.units_returned")
        # The device cloud's own services react to each other through events, never by import.
        events.units_provisioned.connect(ownership.on_units_provisioned, dispatch_uid="devices.provisioned")
        events.properties_reported.connect(automations.on_properties_reported, dispatch_uid="devices.props")
        events.event_reported.connect(automations.on_event_reported, dispatch_uid="devices.event")
        events.commands_answered.connect(ota.on_commands_answered, dispatch_uid="devices.ota_answered")
        events.commands_closed.connect(ota.on_commands_closed, dispatch_uid="devices.ota_closed")
