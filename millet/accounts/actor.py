"""Who is asking: the role facts every service checks before it shows or changes anything."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from millet.core.errors import Forbidden

# Back-office roles beyond staff and stores are Django groups, named here side by side (issue 11).
RISK_OFFICER_GROUP = "risk_officer"  # lending: applications, credit models, /lending/monitoring/
CLAIMS_HANDLER_GROUP = "claims_handler"  # insurance: every policy and claim, decisions and payouts
SUPPLY_PLANNER_GROUP = "supply_planner"  # inventory: purchase orders, transfers between locations
MERCHANDISER_GROUP = "merchandiser"  # catalog, vouchers and flash-sale campaigns
EXECUTIVE_GROUP = "executive"  # reads the store network, credit and insights figures, changes nothing
BACK_OFFICE_GROUPS = (
    RISK_OFFICER_GROUP,
    CLAIMS_HANDLER_GROUP,
    SUPPLY_PLANNER_GROUP,
    MERCHANDISER_GROUP,
    EXECUTIVE_GROUP,
)
# The roles whose daily work is in the Django admin (with only their own models' permissions,
# granted by ``accounts.services.add_to_group``); the others work in their own pages.
ADMIN_GROUPS = (SUPPLY_PLANNER_GROUP, MERCHANDISER_GROUP, CLAIMS_HANDLER_GROUP)


@dataclass(frozen=True)
class Actor:
    """A customer sees their own things; cashiers and managers act on their own stores; staff on all."""

    user_id: int | None
    is_staff: bool = False
    # The user's store jobs; None: asked of the stores domain on the first question about them, so
    # an API request that never asks (a customer's checkout) pays no query for them.
    jobs: tuple[StoreJob, ...] | None = ()

    @cached_property
    def store_roles(self) -> dict[int, str]:
        """Store id -> "cashier" or "manager"."""
        return {job.store_id: job.role for job in self._jobs}

    @cached_property
    def location_roles(self) -> dict[int, str]:
        """The same jobs by the stock location each store sells from."""
        return {job.location_id: job.role for job in self._jobs}

    @cached_property
    def _jobs(self) -> tuple[StoreJob, ...]:
        if self.jobs is not None:
            return self.jobs
        return tuple(_store_jobs(self.user_id)) if self.user_id is not None else ()

    @cached_property
    def groups(self) -> frozenset[str]:
        """The user's back-office groups, read once per actor on the first question about them.

        Asked on demand, not when the actor is built: only the routes and pages of those roles pay
        the query, not every API request.
        """
        from django.contrib.auth.models import Group

        if self.user_id is None:
            return frozenset()
        return frozenset(Group.objects.filter(user__id=self.user_id).values_list("name", flat=True))

    def in_group(self, name: str) -> bool:
        """Back-office roles beyond staff and stores (``*_GROUP`` above) are Django groups."""
        return name in self.groups

    @property
    def is_risk_officer(self) -> bool:
        """Sees and decides credit applications, models and the monitoring page (staff are too)."""
        return self.is_staff or self.in_group(RISK_OFFICER_GROUP)

    @property
    def is_claims_handler(self) -> bool:
        """Sees every policy and claim, decides and pays claims (staff are too)."""
        return self.is_staff or self.in_group(CLAIMS_HANDLER_GROUP)

    @property
    def is_supply_planner(self) -> bool:
        """Orders from suppliers and moves stock between locations (staff are too)."""
        return self.is_staff or self.in_group(SUPPLY_PLANNER_GROUP)

    @property
    def is_merchandiser(self) -> bool:
        """Sets up flash-sale campaigns (staff are too)."""
        return self.is_staff or self.in_group(MERCHANDISER_GROUP)

    @property
    def is_executive(self) -> bool:
        """Reads the whole store network's figures, the credit monitoring and every goal and figure on
        the insights page; changes nothing (staff are too)."""
        return self.is_staff or self.in_group(EXECUTIVE_GROUP)

    @property
    def uses_back_office(self) -> bool:
        """May open the Django admin, where Django's model permissions say what each role sees."""
        return self.is_staff or not self.groups.isdisjoint(ADMIN_GROUPS)

    @property
    def is_employee(self) -> bool:
        """Works for the company (staff, a store job or a back-office role): signs in to the staff
        pages rather than the shop. One query at most, and none for staff or store staff."""
        if self.is_staff or self.store_roles:
            return True
        return not self.groups.isdisjoint(BACK_OFFICE_GROUPS)

    @property
    def is_store_staff(self) -> bool:
        return bool(self.store_roles)

    def can_sell_at(self, store_id: int) -> bool:
        return self.is_staff or store_id in self.store_roles

    def can_manage(self, store_id: int) -> bool:
        return self.is_staff or self.store_roles.get(store_id) == "manager"

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("staff only")

    def require_risk_officer(self) -> None:
        if not self.is_risk_officer:
            raise Forbidden("risk officers only")

    def require_claims_handler(self) -> None:
        if not self.is_claims_handler:
            raise Forbidden("claims handlers only")

    def require_supply_planner(self) -> None:
        if not self.is_supply_planner:
            raise Forbidden("supply planners only")

    def require_executive(self) -> None:
        if not self.is_executive:
            raise Forbidden("executives and staff only")

    def require_merchandiser(self) -> None:
        if not self.is_merchandiser:
            raise Forbidden("merchandisers only")

    def require_store(self, store_id: int, *, manager: bool = False) -> None:
        allowed = self.can_manage(store_id) if manager else self.can_sell_at(store_id)
        if not allowed:
            raise Forbidden("not your store" if not manager else "store managers only")

    def require_location(self, location_id: int, *, manager: bool = False) -> None:
        """The stock of a store's location: its staff (its manager, to move stock out) or staff."""
        role = self.location_roles.get(location_id)
        if self.is_staff or (role is not None and (role == "manager" or not manager)):
            return
        raise Forbidden("not your store" if not manager else "store managers only")


@dataclass(frozen=True)
class StoreJob:
    """A user's role at one store, and the stock location that store sells from."""

    store_id: int
    location_id: int
    role: str


StoreJobs = Callable[[int], Iterable[StoreJob]]


def _no_store_jobs(user_id: int) -> Iterable[StoreJob]:
    return ()


_store_jobs: StoreJobs = _no_store_jobs


def use_store_jobs(source: StoreJobs) -> None:
    """Name where store jobs come from. The stores domain does this when it starts (its
    ``AppConfig.ready``): it sits above the kernel, so the kernel asks it through this port
    instead of importing it."""
    global _store_jobs
    _store_jobs = source


SYSTEM = Actor(user_id=None, is_staff=True)


def actor_for_user(user) -> Actor:
    """Build the actor for an authenticated user; anonymous users are never actors."""
    return actor_for(user.pk, is_staff=bool(user.is_staff))


def request_actor(request) -> Actor:
    """``actor_for_user(request.user)``, built once per request: the view, the base layout's
    navigation (``web.context``) and every check between share it, so the user's store jobs are read
    once and their groups at most once; the next request reads both again. A sign-in or sign-out
    during the request (another user on it) builds the new user's actor."""
    user = request.user
    who = (user.pk, bool(user.is_staff))
    kept = getattr(request, "millet_actor", None)
    if kept is None or kept[0] != who:
        kept = request.millet_actor = (who, actor_for_user(user))
    return kept[1]


def actor_for(user_id: int, *, is_staff: bool, lazy_jobs: bool = False) -> Actor:
    """The full actor from a user's id and staff flag (what a cached token owner holds), so
    authenticating by token needs no user row. ``lazy_jobs``: read the store jobs only when a
    question needs them (API clients: most routes never ask); otherwise now, as a page's
    navigation always asks."""
    return Actor(user_id=user_id, is_staff=is_staff, jobs=None if lazy_jobs else tuple(_store_jobs(user_id)))


def customer_actor(user_id: int, *, is_staff: bool) -> Actor:
    """A minimal actor for routes that act only on the caller's own things (the flash-sale gate):
    no store roles and no group, so no query; never pass it to a service that checks those."""
    return Actor(user_id=user_id, is_staff=is_staff)
