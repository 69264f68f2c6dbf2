from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "millet.stores"
    label = "stores"
    verbose_name = _("Stores")

    def ready(self) -> None:
        from millet.accounts.actor import use_store_jobs
        from millet.sales.services import use_store_directory
        from millet.stores.services import facts, store_jobs

        # Stores sit above the kernel and sales, which ask them through these ports instead of
        # importing them: every actor carries the user's store jobs; sales looks stores up.
        use_store_jobs(store_jobs)
        use_store_directory(facts)
        self.add_links()

    @staticmethod
    def add_links() -> None:
        from millet.web import nav

        def manages_a_store(actor) -> bool:
            return actor is not None and ("manager" in actor.store_roles.values() or actor.is_executive)

        label, about = (
            _("Store dashboard"),
            _("Revenue ranking, expansion goals and the pipeline of planned openings."),
        )
        nav.add(
            nav.Link(
                nav.STAFF, "store-dashboard", label, "stores:dashboard", manages_a_store, about, order=20
            )
        )
        nav.add(nav.Link(nav.DEVELOPER, "store-dashboard", label, "stores:dashboard", order=30))

        def manages_one(actor) -> bool:
            return actor is not None and "manager" in actor.store_roles.values()

        nav.add(
            nav.Link(
                nav.STAFF,
                "my-store",
                _("My store"),
                "stores:mine",
                manages_one,
                _("Stock and serials, low-stock alerts, stock requests, receiving, revenue and staff."),
                order=15,
            )
        )
