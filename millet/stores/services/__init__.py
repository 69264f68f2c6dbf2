"""The stores domain's service API: everything views, admin, commands and other domains may call."""

from millet.stores.services.pipeline import (
    GoalProgress,
    StoreSite,
    advance_opening,
    expansion_progress,
    plan_opening,
    planned_openings,
    set_expansion_goal,
)
from millet.stores.services.ranking import (
    CLUB_THRESHOLDS,
    RankingRow,
    StoreRanking,
    rank_stores,
    ranking_for,
)
from millet.stores.services.stores import (
    STORE_CODE,
    assign_staff,
    get_store,
    is_open_at,
    market_for_input,
    open_store,
    public_stores,
    remove_staff,
    staff_of,
    store_for_location,
    store_jobs,
    stores_of,
)

__all__ = [
    "CLUB_THRESHOLDS",
    "STORE_CODE",
    "GoalProgress",
    "RankingRow",
    "StoreRanking",
    "StoreSite",
    "advance_opening",
    "assign_staff",
    "expansion_progress",
    "get_store",
    "is_open_at",
    "market_for_input",
    "open_store",
    "plan_opening",
    "planned_openings",
    "public_stores",
    "rank_stores",
    "ranking_for",
    "remove_staff",
    "set_expansion_goal",
    "staff_of",
    "store_for_location",
    "store_jobs",
    "stores_of",
]
