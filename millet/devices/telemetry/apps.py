from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    """The device cloud's data path: MQTT broker auth, ingestion, telemetry storage and history."""

    name = "millet.devices.telemetry"
    label = "telemetry"
