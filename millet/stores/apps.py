from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "millet.stores"
    label = "stores"

    def ready(self) -> None:
        from millet.accounts.actor import use_store_jobs
        from millet.sales.services import use_store_directory
        from millet.stores.services import facts, store_jobs

        # Stores sit above the kernel and sales, which ask them through these ports instead of
        # importing them: every actor carries the user's store jobs; sales looks stores up.
        use_store_jobs(store_jobs)
        use_store_directory(facts)
