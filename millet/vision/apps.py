from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisionConfig(AppConfig):
    """Face detection for the cameras Millet sells, and FDDB's evaluation of detectors."""

    name = "millet.vision"
    label = "vision"
    verbose_name = _("Camera vision")

    def ready(self) -> None:
        from millet.web import nav

        about = _("What your cameras saw, with the faces they found.")
        nav.add(
            nav.Link(
                nav.ACCOUNT, "cameras", _("My cameras"), "vision:cameras", nav.signed_in, about, order=30
            )
        )
        # A unit that changes hands loses its owner's data: the device cloud says so, snapshots go too.
        from millet.devices.events import camera_frame_wanted, device_data_wiped, snapshot_received
        from millet.vision.events import face_detected
        from millet.vision.services.snapshots import (
            on_device_data_wiped,
            on_face_detected,
            on_snapshot_received,
        )

        device_data_wiped.connect(on_device_data_wiped, dispatch_uid="vision.device_data_wiped")
        # Cameras upload over MQTT or HTTP through the device cloud; what they see drives automations.
        snapshot_received.connect(on_snapshot_received, dispatch_uid="vision.snapshot_received")
        face_detected.connect(on_face_detected, dispatch_uid="vision.face_detected")
        # Simulated cameras (``millet simulate``) upload pictures made like the benchmark set's.
        camera_frame_wanted.connect(_on_camera_frame_wanted, dispatch_uid="vision.camera_frame_wanted")


def _on_camera_frame_wanted(sender, **kwargs) -> bytes:
    """Imports the synthetic set's maker when a simulated camera first asks: the ``fddb`` package brings
    scipy and matplotlib, a third of every process's start (web, ``millet ingest``) that never uses it."""
    from millet.vision.fddb.synthetic import on_camera_frame_wanted

    return on_camera_frame_wanted(sender, **kwargs)
