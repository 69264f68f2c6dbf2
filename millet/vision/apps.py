from django.apps import AppConfig


class VisionConfig(AppConfig):
    """Face detection for the cameras Millet sells, and FDDB's evaluation of detectors."""

    name = "millet.vision"
    label = "vision"

    def ready(self) -> None:
        # A unit that changes hands loses its owner's data: the device cloud says so, snapshots go too.
        from millet.devices.events import device_data_wiped
        from millet.vision.services.snapshots import on_device_data_wiped

        device_data_wiped.connect(on_device_data_wiped, dispatch_uid="vision.device_data_wiped")
