from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "millet.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from millet.core import partitions
        from millet.finance.services import forget_accounts
        from millet.finance.services.ledger_storage import TRANSFER_PARTITIONS

        partitions.register(TRANSFER_PARTITIONS)

        # ``flush`` ends with post_migrate: the cached accounts are gone from the database.
        post_migrate.connect(
            lambda **_: forget_accounts(), sender=self, dispatch_uid="finance-accounts-migrate", weak=False
        )
