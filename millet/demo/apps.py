from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "millet.demo"
    label = "demo"
