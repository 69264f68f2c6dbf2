from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    """The device cloud's data path: MQTT broker auth, ingestion, telemetry storage and history."""

    name = "millet.devices.telemetry"
    label = "telemetry"
    verbose_name = _("Telemetry")

    def ready(self) -> None:
        from millet.core import partitions
        from millet.devices import events
        from millet.devices.mqtt.broker import on_credentials_changed
        from millet.devices.telemetry.services import on_device_data_wiped
        from millet.devices.telemetry.storage import PARTITIONS

        partitions.register(PARTITIONS)

        events.device_credentials_changed.connect(
            on_credentials_changed, dispatch_uid="telemetry.broker_sync"
        )
        events.device_data_wiped.connect(on_device_data_wiped, dispatch_uid="telemetry.wipe_history")
