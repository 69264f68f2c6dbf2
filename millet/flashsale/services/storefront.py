"""What the shopper's flash-sale page shows and does: a sale's phase as the server's clock sees it,
the caller's claims and waitlist place, the claim's place in the writers' queue, one claim per
click, and a lapsed payment window settled as soon as its page is looked at."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info, sku_offers
from millet.core.errors import Conflict, DomainError, NotFound
from millet.core.shared_cache import SharedFacts
from millet.flashsale.models import Campaign, Claim
from millet.flashsale.services import gate
from millet.flashsale.services.campaigns import get_campaign
from millet.flashsale.services.claims import ClaimView, claim_unit, get_claim, my_claims
from millet.flashsale.services.window import expire_one, units_left, waitlist_position
from millet.regions.services import get_market

UPCOMING, LIVE, SOLD_OUT, ENDED = "upcoming", "live", "sold_out", "ended"
QUEUE_CAP = 1000  # a place further back reads "more than 1,000"
ATTEMPT_SECONDS = 3600  # how long one click's answer is remembered
ATTEMPT_WAIT_SECONDS = 5.0  # a second click waits this long for the first click's answer
_PENDING = "-"


@dataclass(frozen=True)
class SaleView:
    """A campaign as its page shows it. ``phase`` is upcoming, live, sold_out or ended by the server's
    clock; ``regular_price`` is the catalog's price in the market (None when the SKU is no longer
    sold there); ``claims`` are the caller's written claims, oldest first; ``waitlist`` is the
    caller's (status, how many wait ahead) or None."""

    code: str
    name: str
    market: str
    currency: str
    sku_code: str
    product_name: str
    price: Decimal
    regular_price: Decimal | None
    starts_at: datetime
    ends_at: datetime
    per_customer_limit: int
    payment_window_seconds: int
    phase: str
    claims: tuple[ClaimView, ...] = ()
    waitlist: tuple[str, int] | None = None

    @property
    def payment_window_minutes(self) -> int:
        return max(1, -(-self.payment_window_seconds // 60))


def _phase(campaign: Campaign, now: datetime) -> str:
    if now < campaign.starts_at:
        return UPCOMING
    if now >= campaign.ends_at:
        return ENDED
    return SOLD_OUT if units_left(campaign) <= 0 else LIVE


def _sale(campaign: Campaign, now: datetime, actor: Actor | None = None) -> SaleView:
    try:
        regular = sku_offers([campaign.sku_code], campaign.market_id)[campaign.sku_code][1]
    except DomainError:  # no longer sold at a regular price in this market
        regular = None
    claims: tuple[ClaimView, ...] = ()
    waitlist: tuple[str, int] | None = None
    if actor is not None and actor.user_id is not None:
        claims = tuple(my_claims(actor, campaign.code))
        try:
            waitlist = waitlist_position(actor, campaign.code)
        except NotFound:
            waitlist = None
    return SaleView(
        code=campaign.code,
        name=campaign.name,
        market=campaign.market_id,
        currency=get_market(campaign.market_id).currency,
        sku_code=campaign.sku_code,
        product_name=sku_info([campaign.sku_code])[campaign.sku_code].name,
        price=campaign.price,
        regular_price=regular,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        per_customer_limit=campaign.per_customer_limit,
        payment_window_seconds=campaign.payment_window_seconds,
        phase=_phase(campaign, now),
        claims=claims,
        waitlist=waitlist,
    )


@dataclass(frozen=True)
class Announcement:
    """A sale the store announces (not ended): enough for a menu link and a banner, from one query."""

    code: str
    name: str
    market: str
    starts_at: datetime
    ends_at: datetime


# Every page's menu asks for its market's announcements: kept in the shared cache until a campaign
# is saved or deleted (``forget_announcements``, wired to the model's signals in ``FlashsaleConfig``).
announcements_kept = SharedFacts("flashsale-announced")


def announced_sales(market: str) -> list[Announcement]:
    """The market's sales that have not ended, soonest start first. One query, or none while the
    shared cache (Redis) holds the market's list; a sale that has ended since is left out on read."""
    now = timezone.now()

    def unended() -> list[tuple]:
        rows = Campaign.objects.filter(market_id=market, ends_at__gt=now).order_by("starts_at", "pk")
        return list(rows.values_list("code", "name", "market_id", "starts_at", "ends_at"))

    return [Announcement(*row) for row in announcements_kept.get("all", market, unended) if row[4] > now]


def forget_announcements(**_signal) -> None:
    """A campaign was saved or deleted (a receiver of ``post_save`` and ``post_delete``): every
    market's announcements are read again once the change commits."""
    announcements_kept.forget("all")


def market_sales(market: str) -> list[SaleView]:
    """The market's sales that have not ended, soonest start first (the store's banner and list)."""
    now = timezone.now()
    campaigns = Campaign.objects.filter(market_id=market, ends_at__gt=now).order_by("starts_at", "pk")
    return [_sale(c, now) for c in campaigns]


def sale_for(actor: Actor | None, market: str, code: str) -> SaleView:
    """One sale for its page, with the caller's claims and waitlist place when signed in.

    Raises NotFound for an unknown code and for a sale of another market (its URL names the market)."""
    campaign = get_campaign(code)
    if campaign.market_id != market:
        raise NotFound(f"no campaign {code} in {market}", code="unknown_campaign")
    return _sale(campaign, timezone.now(), actor)


def claim_once(actor: Actor, code: str, *, attempt: str, ip: str = "") -> ClaimView:
    """``claim_unit`` once per click: the page's form carries a fresh ``attempt`` each time it is
    drawn, so a double click, a resubmitted form or the back button and the button again send the
    same attempt and get the first answer's claim, never a second unit. A refused attempt (sold out,
    limit, not started) took nothing and may ask again.

    The attempt lives in Django's cache: Redis when ``REDIS_URL`` is set, shared by every worker;
    the embedded default's local memory serves its single process. Raises what ``claim_unit``
    raises, and Conflict ``claim_in_progress`` when the first click is still unanswered after
    ``ATTEMPT_WAIT_SECONDS``."""
    key = f"flashsale:attempt:{actor.user_id}:{code}:{attempt}"
    if cache.add(key, _PENDING, ATTEMPT_SECONDS):
        try:
            view = claim_unit(actor, code, ip=ip)
        except DomainError:  # refused: nothing was taken
            cache.delete(key)
            raise
        cache.set(key, view.id, ATTEMPT_SECONDS)
        return view
    deadline = time.monotonic() + ATTEMPT_WAIT_SECONDS
    while (gate_id := cache.get(key)) == _PENDING and time.monotonic() < deadline:
        time.sleep(0.05)
    if gate_id is None:  # the first click was refused: ask the gate again
        return claim_once(actor, code, attempt=attempt, ip=ip)
    if gate_id == _PENDING:
        raise Conflict("your first click is still being answered; reload the page", code="claim_in_progress")
    return get_claim(actor, code, gate_id)


def queue_place(actor: Actor, code: str, gate_id: str) -> int:
    """How many claims accepted before the caller's still wait for their order, at most
    ``QUEUE_CAP`` (0 once the caller's own is next or written). NotFound for another's claim."""
    view = get_claim(actor, code, gate_id)
    if view.status != Claim.Status.QUEUED:
        return 0
    if gate.redis_enabled():
        return gate.queue_ahead(code, gate_id, cap=QUEUE_CAP)
    claim = Claim.objects.filter(campaign__code=code, gate_id=gate_id).values_list("pk", flat=True).first()
    queued = Claim.objects.filter(campaign__code=code, status=Claim.Status.QUEUED, pk__lt=claim or 0)
    return min(QUEUE_CAP, queued.count())


def settle_claim(actor: Actor, code: str, gate_id: str) -> ClaimView:
    """The caller's claim as it stands now; an unpaid claim whose window has closed is expired at once
    (its order cancelled, its unit back to the sale, waitlist first), as the worker's clock would.
    NotFound for a claim that is not the caller's."""
    view = get_claim(actor, code, gate_id)
    if view.status == Claim.Status.ORDERED and view.expires_at and view.expires_at <= timezone.now():
        pk = Claim.objects.filter(campaign__code=code, gate_id=gate_id).values_list("pk", flat=True).first()
        if pk is not None:
            expire_one(pk, timezone.now())
        view = get_claim(actor, code, gate_id)
    return view
