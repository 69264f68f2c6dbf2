from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "millet.regions"
    label = "regions"
    verbose_name = _("Markets and taxes")

    def ready(self) -> None:
        from millet.regions.services import clear_caches

        for model in self.get_models():
            uid = f"regions-cache-{model.__name__}"
            post_save.connect(clear_caches, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(clear_caches, sender=model, dispatch_uid=f"{uid}-delete")
        # ``flush`` (and ``migrate``) end with post_migrate: the cached rows may be gone.
        post_migrate.connect(clear_caches, sender=self, dispatch_uid="regions-cache-migrate")
