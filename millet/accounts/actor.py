"""Who is asking: the role facts every service checks before it shows or changes anything."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from millet.core.errors import Forbidden

# Back-office roles beyond staff and stores are Django groups, named here side by side.
RISK_OFFICER_GROUP = "risk_officer"  # lending: applications, credit models, /lending/monitoring/
CLAIMS_HANDLER_GROUP = "claims_handler"  # insurance: every policy and claim, decisions and payouts
EXECUTIVE_GROUP = "executive"  # insights: the company's goals and figures, /insights/
BACK_OFFICE_GROUPS = (RISK_OFFICER_GROUP, CLAIMS_HANDLER_GROUP, EXECUTIVE_GROUP)


@dataclass(frozen=True)
class Actor:
    """A customer sees their own things; cashiers and managers act on their own stores; staff on all."""

    user_id: int | None
    is_staff: bool = False
    store_roles: dict[int, str] = field(default_factory=dict)  # store id -> "cashier" or "manager"
    location_roles: dict[int, str] = field(default_factory=dict)  # the same jobs by stock location id

    def in_group(self, name: str) -> bool:
        """Back-office roles beyond staff and stores (risk officers, claims handlers) are Django groups.

        Asked on demand, not when the actor is built: only the few routes of those roles pay the
        query, not every API request.
        """
        from django.contrib.auth.models import Group

        return self.user_id is not None and Group.objects.filter(name=name, user__id=self.user_id).exists()

    @property
    def is_risk_officer(self) -> bool:
        """Sees and decides credit applications, models and the monitoring page (staff are too)."""
        return self.is_staff or self.in_group(RISK_OFFICER_GROUP)

    @property
    def is_claims_handler(self) -> bool:
        """Sees every policy and claim, decides and pays claims (staff are too)."""
        return self.is_staff or self.in_group(CLAIMS_HANDLER_GROUP)

    @property
    def is_executive(self) -> bool:
        """Sees every goal and figure of the company on the insights page (staff are too)."""
        return self.is_staff or self.in_group(EXECUTIVE_GROUP)

    @property
    def is_employee(self) -> bool:
        """Works for the company (staff, a store job or a back-office role): signs in to the staff
        pages rather than the shop. One query at most, and none for staff or store staff."""
        if self.is_staff or self.store_roles:
            return True
        from django.contrib.auth.models import Group

        return (
            self.user_id is not None
            and Group.objects.filter(name__in=BACK_OFFICE_GROUPS, user__id=self.user_id).exists()
        )

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


def actor_for(user_id: int, *, is_staff: bool) -> Actor:
    """The full actor from a user's id and staff flag (what a cached token owner holds), so
    authenticating by token needs no user row."""
    jobs = list(_store_jobs(user_id))
    return Actor(
        user_id=user_id,
        is_staff=is_staff,
        store_roles={job.store_id: job.role for job in jobs},
        location_roles={job.location_id: job.role for job in jobs},
    )


def customer_actor(user_id: int, *, is_staff: bool) -> Actor:
    """A minimal actor for routes that act only on the caller's own things (the flash-sale gate):
    no store roles and no group, so no query; never pass it to a service that checks those."""
    return Actor(user_id=user_id, is_staff=is_staff)
