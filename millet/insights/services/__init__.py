"""The insights domain's service API: goals and their cards, figures from the daily rollups, the
rollups' upkeep, and exchange rates into the reporting currency. Views, routes, admin, commands
and the demo call only these names."""

from millet.insights.metrics import LINES_JOINED
from millet.insights.services.access import Viewer, drill_down, viewer_for
from millet.insights.services.device_series import device_scope_names
from millet.insights.services.exports import BREAKDOWN_HEADER, GOALS_HEADER, breakdown_csv, goals_csv
from millet.insights.services.figures import (
    BreakdownRow,
    Figure,
    Trend,
    TrendQuestion,
    breakdown,
    get_metric,
    trend,
    trends,
)
from millet.insights.services.goals import (
    GoalCard,
    card,
    check_goal,
    create_goal,
    get_goal,
    goal_cards,
    list_goals,
)
from millet.insights.services.rates import (
    Consolidated,
    Conversion,
    RateBook,
    RateUsed,
    check_rate,
    consolidate,
    conversion,
    list_rates,
    rate_on,
    reporting_currency,
    set_rate,
)
from millet.insights.services.rollups import (
    catch_up,
    catch_up_after_commit,
    catch_up_deferred,
    rebuild,
    record_devices_connected,
    snapshot_devices,
)
from millet.insights.services.versions import bump_figures_version, figures_version

__all__ = [
    "LINES_JOINED",
    "BREAKDOWN_HEADER",
    "GOALS_HEADER",
    "breakdown_csv",
    "drill_down",
    "goals_csv",
    "BreakdownRow",
    "Consolidated",
    "Conversion",
    "Figure",
    "RateBook",
    "TrendQuestion",
    "GoalCard",
    "RateUsed",
    "Trend",
    "Viewer",
    "breakdown",
    "bump_figures_version",
    "card",
    "catch_up",
    "catch_up_after_commit",
    "catch_up_deferred",
    "record_devices_connected",
    "check_goal",
    "check_rate",
    "consolidate",
    "conversion",
    "create_goal",
    "device_scope_names",
    "figures_version",
    "get_goal",
    "get_metric",
    "goal_cards",
    "list_goals",
    "list_rates",
    "rate_on",
    "rebuild",
    "reporting_currency",
    "set_rate",
    "snapshot_devices",
    "trend",
    "trends",
    "viewer_for",
]
