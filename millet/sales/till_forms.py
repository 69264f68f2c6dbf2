"""The till's forms: a scan, the payment, a pickup hand-over, a return and the day's cash count."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from millet.core.typed_numbers import DecimalNumberField, DigitsField, ascii_digits, money_typed

SCAN_ATTRS = {
    "autofocus": True,
    "data-scan": True,
    "autocomplete": "off",
    "autocapitalize": "characters",
    "spellcheck": "false",
}


def serial_list(text: str) -> list[str]:
    """Scans typed or wedged into one field, separated by spaces, commas or new lines."""
    return [part for part in text.replace(",", " ").split() if part]


class CashField(DecimalNumberField):
    """Cash typed at the till: digits (of any script, ``core.typed_numbers``) with at most two
    decimals and no sign, as the API's Money."""

    default_error_messages = {"invalid": _("Type the amount in digits, such as 120.50.")}

    def to_python(self, value):
        text = ascii_digits(str(value)) if value is not None else ""
        if text and money_typed(text) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


class ScanForm(forms.Form):
    scan = forms.CharField(
        label=_("Scan a serial number or type a product code"),
        max_length=64,
        widget=forms.TextInput(attrs=SCAN_ATTRS),
    )


class PayForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer's username"),
        max_length=150,
        required=False,
        help_text=_("Leave it empty for a walk-in customer."),
    )
    voucher = forms.CharField(
        label=_("Voucher code"),
        max_length=32,
        required=False,
        help_text=_("Applied before anything is charged: the till shows the new total first."),
    )
    method = forms.ChoiceField(
        label=_("Payment"),
        choices=[("cash", _("Cash")), ("card", _("Card")), ("credit", _("Instant credit"))],
        widget=forms.RadioSelect,
        initial="cash",
    )
    cash_tendered = CashField(
        label=_("Cash handed over"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    card_token = forms.CharField(
        label=_("Card terminal token"),
        max_length=64,
        required=False,
        help_text=_("What the card terminal answers, e.g. tok_ok."),
    )

    def clean(self):
        """The field the payment method needs, when it is left empty; a field refused already (cash
        typed as "²", a token too long) keeps its one message, not a second saying it is missing."""
        data = super().clean()
        needed = {
            "cash": ("cash_tendered", _("Type the cash handed over.")),
            "card": ("card_token", _("Give the card terminal's token.")),
            "credit": ("customer", _("Instant credit is for a known customer: type their username.")),
        }
        field, words = needed.get(data.get("method"), (None, ""))
        if field is not None and field not in self.errors and data.get(field) in (None, ""):
            self.add_error(field, words)
        return data


class PickupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=24, widget=forms.TextInput(attrs=SCAN_ATTRS))
    pickup_code = DigitsField(
        label=_("Pickup code"), max_length=6, help_text=_("The six digits the shopper shows.")
    )
    serials = forms.CharField(
        label=_("Serial numbers handed over"),
        max_length=2000,
        required=False,
        help_text=_("Scan each unit with a serial number, separated by spaces."),
    )


class TillReturnForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=24, widget=forms.TextInput(attrs=SCAN_ATTRS))
    serials = forms.CharField(
        label=_("Serial numbers taken back"),
        max_length=2000,
        help_text=_("Scan each unit, separated by spaces."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class CloseDayForm(forms.Form):
    counted_cash = CashField(
        label=_("Cash counted in the drawer"), min_value=0, max_digits=14, decimal_places=2
    )
