"""What makes a delivery address complete in each market: phone and postal code formats, and the
state for India (its GST state code decides the place of supply, so it is required there).

Formats: India's six-digit PIN code (first digit 1-9, India Post) and ten-digit mobile numbers
starting 6-9 (TRAI numbering plan); China's six-digit postcode and eleven-digit mobile numbers
starting 1; Germany's five-digit Postleitzahl. Spaces, hyphens, dots and brackets in a phone number
are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from millet.core.typed_numbers import ascii_digits
from millet.regions.india import indian_state

POSTAL_CODES = {"IN": r"[1-9][0-9]{5}", "CN": r"[0-9]{6}", "DE": r"[0-9]{5}"}
PHONES = {"IN": r"(\+91|0)?[6-9][0-9]{9}", "CN": r"(\+86)?1[0-9]{10}", "DE": r"(\+49|0)[1-9][0-9]{5,13}"}
OTHER_POSTAL_CODE = r"[A-Za-z0-9 -]{3,10}"
OTHER_PHONE = r"\+?[0-9]{6,15}"
STATE_REQUIRED = frozenset({"IN"})
LIMITS = {
    "recipient": 100,
    "phone": 20,
    "line1": 120,
    "line2": 120,
    "city": 64,
    "postal_code": 10,
    "state": 64,
}
REQUIRED = ("recipient", "phone", "line1", "city", "postal_code")


@dataclass(frozen=True)
class AddressFields:
    market: str
    recipient: str
    phone: str
    line1: str
    city: str
    postal_code: str
    line2: str = ""
    state: str = ""

    def cleaned(self) -> AddressFields:
        """Surrounding spaces gone, the postal code in upper case, the phone as typed; the digits of
        both in ASCII, as ``core.typed_numbers`` reads every number typed ("११०००१" is 110001)."""
        values = {name: str(getattr(self, name) or "").strip() for name in self.__dataclass_fields__}
        values["market"] = values["market"].upper()
        values["postal_code"] = ascii_digits(values["postal_code"]).upper()
        values["phone"] = ascii_digits(values["phone"])
        return AddressFields(**values)


def phone_digits(phone: str) -> str:
    return re.sub(r"[\s\-.()]", "", phone)


def address_problems(fields: AddressFields) -> dict[str, str]:
    """Field name -> what is wrong with it, in the active language; empty when the address is complete."""
    problems: dict[str, str] = {}
    for name in REQUIRED:
        if not getattr(fields, name):
            problems[name] = _("This field is required.")
    for name, limit in LIMITS.items():
        if len(getattr(fields, name)) > limit and name not in problems:
            problems[name] = _("Use at most %(limit)d characters.") % {"limit": limit}
    market = fields.market
    if fields.postal_code and "postal_code" not in problems:
        if not re.fullmatch(POSTAL_CODES.get(market, OTHER_POSTAL_CODE), fields.postal_code):
            problems["postal_code"] = {
                "IN": _("A PIN code has six digits and does not start with 0."),
                "CN": _("A postcode in China has six digits."),
                "DE": _("A Postleitzahl has five digits."),
            }.get(market, _("Enter a valid postal code."))
    if fields.phone and "phone" not in problems:
        if not re.fullmatch(PHONES.get(market, OTHER_PHONE), phone_digits(fields.phone)):
            problems["phone"] = {
                "IN": _("Enter a 10-digit mobile number, for example 98765 43210."),
                "CN": _("Enter an 11-digit mobile number, for example 138 0013 8000."),
            }.get(market, _("Enter a phone number with its area code."))
    if market in STATE_REQUIRED:
        if not fields.state:
            problems["state"] = _("Choose the state or union territory.")
        elif indian_state(fields.state) is None:
            problems["state"] = _("Choose a state or union territory from the list.")
    return problems
