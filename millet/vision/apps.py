from django.apps import AppConfig


class VisionConfig(AppConfig):
    """Face detection for the cameras Millet sells, and FDDB's evaluation of detectors."""

    name = "millet.vision"
    label = "vision"
