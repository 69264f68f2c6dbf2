from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "millet.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from millet.accounts import signals

        signals.connect()


class BackOfficeConfig(admin_apps.AdminConfig):
    """Installed in place of ``django.contrib.admin``, so ``admin.site`` is the back office's own site,
    open to the back-office roles (``millet.accounts.backoffice``)."""

    default = False  # named in INSTALLED_APPS; accounts' own app is AccountsConfig
    default_site = "millet.accounts.backoffice.BackOfficeSite"
