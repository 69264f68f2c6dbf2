"""HTTP routes for flash sales; thin over flashsale.services.

The order writer is not an HTTP endpoint: it is the ``flashsale_worker`` command, reading the gate's
stream, so no client can skip the gate by calling it.
"""

from __future__ import annotations

from ninja import Router, Status

from millet.accounts.actor import Actor, customer_actor
from millet.accounts.auth import SessionActorAuth, TokenAuth
from millet.accounts.services import TokenOwner
from millet.core.client_address import client_address
from millet.core.openapi import ErrorOut
from millet.flashsale import services
from millet.flashsale.models import Campaign
from millet.flashsale.schemas import (
    CampaignIn,
    CampaignOut,
    ClaimPayIn,
    Code,
    GateId,
    WaitlistOut,
)

router = Router(tags=["flashsale"])


class GateTokenAuth(TokenAuth):
    """Bearer tokens for the gate's hot path: who is asking, without the store-role and group lookups.

    A claim needs only the customer's id; with the token owner cached in Redis the whole
    authentication is one cache read, so the gate's request costs no database query at all.
    """

    def actor(self, owner: TokenOwner) -> Actor:
        return customer_actor(owner.user_id, is_staff=owner.is_staff)


gate_auth = [GateTokenAuth(), SessionActorAuth()]


def _campaign_out(c: Campaign) -> CampaignOut:
    return CampaignOut(
        code=c.code,
        name=c.name,
        sku=c.sku_code,
        market=c.market_id,
        price=c.price,
        units=c.units,
        per_customer_limit=c.per_customer_limit,
        starts_at=c.starts_at,
        ends_at=c.ends_at,
        payment_window_seconds=c.payment_window_seconds,
    )


@router.get("/campaigns", response=list[CampaignOut], auth=None)
def list_campaigns(request):
    """Sales that have not ended, for the storefront's countdown."""
    return [_campaign_out(c) for c in services.list_campaigns(open_only=True)]


@router.post("/campaigns", response={201: CampaignOut})
def create_campaign(request, body: CampaignIn):
    """Staff: set units aside from inventory and open the gate for them."""
    campaign = services.create_campaign(
        request.actor,
        code=body.code,
        name=body.name,
        sku_code=body.sku,
        market=body.market,
        location_code=body.location,
        price=body.price,
        units=body.units,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        per_customer_limit=body.per_customer_limit,
        payment_window_seconds=body.payment_window_seconds,
        customer_rate_per_second=body.customer_rate_per_second,
        ip_rate_per_second=body.ip_rate_per_second,
    )
    return Status(201, _campaign_out(campaign))


@router.get("/campaigns/{code}", response=CampaignOut, auth=None)
def get_campaign(request, code: Code):
    return _campaign_out(services.get_campaign(code))


@router.post(
    "/campaigns/{code}/claims",
    response={201: services.ClaimView, 429: ErrorOut, 503: ErrorOut},
    auth=gate_auth,
    url_name="flashsale_claim",
)
def claim(request, code: Code):
    """The gate: one unit for the caller, or 409 with why not (not_started, ended, limit, sold_out),
    429 when rate-limited. A 201 is a promise: the order follows; poll the claim for it.

    A bearer token whose owner is cached is answered before this route, by the same service
    (``millet.flashsale.middleware``); this route is the rest (first use of a token, sessions)."""
    view = services.claim_unit(request.actor, code, ip=client_address(request))
    return Status(201, view)


@router.get("/campaigns/{code}/claims", response=list[services.ClaimView])
def my_claims(request, code: Code):
    return [v for v in services.my_claims(request.actor, code)]


@router.get("/campaigns/{code}/claims/{gate_id}", response=services.ClaimView)
def get_claim(request, code: Code, gate_id: GateId):
    return services.get_claim(request.actor, code, gate_id)


@router.post("/campaigns/{code}/claims/{gate_id}/pay", response={200: services.ClaimView, 402: ErrorOut})
def pay_claim(request, code: Code, gate_id: GateId, body: ClaimPayIn):
    """Pay within the payment window; afterwards the unit has gone back to the sale."""
    view = services.pay_claim(request.actor, code, gate_id, payment_token=body.payment_token)
    return view


@router.post("/campaigns/{code}/waitlist", response={201: WaitlistOut, 503: ErrorOut})
def join_waitlist(request, code: Code):
    """After the sell-out: be offered a returned unit, in the order people joined."""
    services.join_waitlist(request.actor, code)
    status, ahead = services.waitlist_position(request.actor, code)
    return Status(201, WaitlistOut(status=status, ahead=ahead))


@router.get("/campaigns/{code}/waitlist", response=WaitlistOut)
def waitlist_position(request, code: Code):
    status, ahead = services.waitlist_position(request.actor, code)
    return WaitlistOut(status=status, ahead=ahead)


@router.get("/campaigns/{code}/results", response=services.CampaignResults)
def results(request, code: Code):
    """Staff: claims, paid, expired, sold, units left and time to sell out."""
    return services.campaign_results(request.actor, code)
