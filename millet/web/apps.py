from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "millet.web"
    label = "web"

    def ready(self) -> None:
        from django.urls import register_converter

        from millet.web import nav
        from millet.web.markets import MarketConverter

        register_converter(MarketConverter, "market")
        nav.add_builtin_links()
