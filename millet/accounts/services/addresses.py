"""A shopper's saved addresses: only their own, ever. Another person's address id is a 404, the
same answer as an id that does not exist (docs/ARCHITECTURE.md, "Roles")."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from millet.accounts.actor import Actor
from millet.accounts.models import Address
from millet.accounts.postal import AddressFields, address_problems
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.regions.india import indian_state, place_of_supply, state_name
from millet.regions.services import get_market

MAX_ADDRESSES = 20  # per person: an address book, not a mailing list


class InvalidAddress(Unprocessable):
    """The address is incomplete; ``problems`` maps each field to what is wrong with it."""

    code = "invalid_address"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class AddressInfo:
    id: int
    market: str
    recipient: str
    phone: str
    line1: str
    line2: str
    city: str
    postal_code: str
    state: str  # India: the GST state code; elsewhere as written, maybe empty
    gst_state_code: str | None  # India only: the place of supply for GST

    @property
    def state_label(self) -> str:
        """The state as the current page's language names it (Devanagari on Hindi pages)."""
        if self.gst_state_code:
            return state_name(self.gst_state_code, translation.get_language() or "en")
        return self.state

    @property
    def shipping_state(self) -> str:
        """The ISO 3166-2 code an order delivered here keeps as its place of supply ("IN-MH"),
        "" outside India (``regions.india.place_of_supply``)."""
        return place_of_supply(self.gst_state_code) if self.gst_state_code else ""

    @property
    def fields(self) -> AddressFields:
        return AddressFields(
            market=self.market,
            recipient=self.recipient,
            phone=self.phone,
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            postal_code=self.postal_code,
            state=self.state,
        )


def _info(address: Address) -> AddressInfo:
    india = address.market_id == "IN" and indian_state(address.state) is not None
    return AddressInfo(
        id=address.pk,
        market=address.market_id,
        recipient=address.recipient,
        phone=address.phone,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        postal_code=address.postal_code,
        state=address.state,
        gst_state_code=address.state if india else None,
    )


def _owner(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("sign in to keep addresses")
    return actor.user_id


def _own(actor: Actor, address_id: int) -> Address:
    address = Address.objects.filter(pk=address_id, user_id=_owner(actor)).first()
    if address is None:
        raise NotFound("no such address", code="unknown_address")
    return address


def list_addresses(actor: Actor) -> list[AddressInfo]:
    """The actor's addresses, most recently saved first."""
    return [_info(a) for a in Address.objects.filter(user_id=_owner(actor)).order_by("-updated_at", "-pk")]


def get_address(actor: Actor, address_id: int) -> AddressInfo:
    """One of the actor's addresses; raises NotFound (404) for anyone else's."""
    return _info(_own(actor, address_id))


def _checked(fields: AddressFields) -> AddressFields:
    fields = fields.cleaned()
    get_market(fields.market)  # NotFound for an unknown market
    problems = address_problems(fields)
    if problems:
        raise InvalidAddress(problems)
    return fields


@transaction.atomic
def save_address(actor: Actor, fields: AddressFields, address_id: int | None = None) -> AddressInfo:
    """Add an address (``address_id`` None) or change one of the actor's.

    Raises InvalidAddress (422, with ``problems`` per field), NotFound for another person's id or an
    unknown market, Conflict (409) past ``MAX_ADDRESSES``.
    """
    owner = _owner(actor)
    fields = _checked(fields)
    values = {
        "market_id": fields.market,
        "recipient": fields.recipient,
        "phone": fields.phone,
        "line1": fields.line1,
        "line2": fields.line2,
        "city": fields.city,
        "postal_code": fields.postal_code,
        "state": fields.state,
    }
    if address_id is None:
        with transaction.atomic():
            # The person's row locked: two adds at once would both count one below the limit.
            list(get_user_model().objects.select_for_update().filter(pk=owner).values_list("pk", flat=True))
            if Address.objects.filter(user_id=owner).count() >= MAX_ADDRESSES:
                raise Conflict(f"at most {MAX_ADDRESSES} addresses", code="too_many_addresses")
            return _info(Address.objects.create(user_id=owner, **values))
    address = _own(actor, address_id)
    for name, value in values.items():
        setattr(address, name, value)
    address.save()
    return _info(address)


def delete_address(actor: Actor, address_id: int) -> None:
    """Forget one of the actor's addresses (orders keep their own copy of where they went)."""
    _own(actor, address_id).delete()
