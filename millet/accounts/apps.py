from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "millet.accounts"
    label = "accounts"

    def ready(self) -> None:
        from millet.accounts import signals

        signals.connect()
