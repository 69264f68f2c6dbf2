from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "millet.accounts"
    label = "accounts"
