from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """The device cloud: identity, ownership, shadow state, commands, automations, OTA, fleet."""

    name = "millet.devices"
    label = "devices"

    def ready(self) -> None:
        # Sales announces sold and returned serials; the device cloud binds and unbinds from them.
        from millet.devices.services.ownership import on_order_fulfilled, on_units_returned
        from millet.sales.events import order_fulfilled, units_returned

        order_fulfilled.connect(on_order_fulfilled, dispatch_uid="devices.order_fulfilled")
        units_returned.connect(on_units_returned, dispatch_uid="devices.units_returned")
