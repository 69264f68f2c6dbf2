from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """The company's goals as live numbers: metrics, daily rollups, exchange rates, the executive page."""

    name = "millet.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from millet.insights.models import ExchangeRate, Goal
        from millet.insights.services import bump_figures_version, catch_up_after_commit
        from millet.sales import events

        # Sales sends these on commit: the new revenue postings are rolled up at once.
        events.order_fulfilled.connect(catch_up_after_commit, dispatch_uid="insights-order-fulfilled")
        events.units_returned.connect(catch_up_after_commit, dispatch_uid="insights-units-returned")
        # A goal or a rate changed (services or back office): the cards a page kept are out of date.
        for model in (Goal, ExchangeRate):
            for signal in (post_save, post_delete):
                signal.connect(bump_figures_version, sender=model, dispatch_uid=f"insights-{model.__name__}")
        self.add_links()

    @staticmethod
    def add_links() -> None:
        from millet.web import nav

        def sees_insights(actor) -> bool:
            return actor is not None and (actor.is_executive or "manager" in actor.store_roles.values())

        label = _("Company goals")
        about = _("Each goal against its target and pace, with revenue, orders, stores and devices.")
        nav.add(nav.Link(nav.STAFF, "insights", label, "insights:goals", sees_insights, about, order=10))
        nav.add(nav.Link(nav.DEVELOPER, "insights", label, "insights:goals", order=25))
