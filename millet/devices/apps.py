from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """The device cloud: identity, ownership, shadow state, commands, automations, OTA, fleet."""

    name = "millet.devices"
    label = "devices"
