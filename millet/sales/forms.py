"""The after-sale forms: what a shopper returns and why; what staff ship, decide and receive."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from millet.core.attempt_keys import AttemptField
from millet.core.typed_numbers import WholeNumberField

# The shopper's words for ReturnAuthorization.Reason (the model keeps codes, the page translates).
REASONS = [
    ("changed_mind", _("I changed my mind")),
    ("defective", _("It is defective or does not work")),
    ("damaged", _("It arrived damaged")),
    ("not_as_described", _("It is not as described")),
    ("wrong_item", _("I received the wrong item")),
]


class ReturnRequestForm(forms.Form):
    """One "units to return" field per order line the buyer may still return (0 to what is left),
    and the page's ``attempt`` key: the request's idempotency key, so a form sent twice asks once."""

    attempt = AttemptField(required=False)

    reason = forms.ChoiceField(
        label=_("Why are you returning it?"), choices=REASONS, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Anything we should know"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lines: list[tuple[int, str, int]], **kwargs) -> None:
        """``lines``: (order line id, its label, units that may still be returned)."""
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line_id, label, left in lines:
            name = f"line_{line_id}"
            self.fields[name] = WholeNumberField(
                label=label,
                min_value=0,
                max_value=left,
                initial=0,
                help_text=_("Units to return (up to %(count)s)") % {"count": left},
            )
            self.line_fields.append((line_id, name))
        self.order_fields(["reason", *(name for _, name in self.line_fields), "details"])

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(name) for _, name in self.line_fields):
            raise forms.ValidationError(_("Choose at least one unit to return."), code="empty_return")
        return data

    def units(self) -> list[tuple[int, int]]:
        """(order line id, units) for each line with units to return."""
        return [
            (line_id, self.cleaned_data[name])
            for line_id, name in self.line_fields
            if self.cleaned_data[name]
        ]


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=64)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the shopper"),
        help_text=_("Required when you reject the return."),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReceiveForm(forms.Form):
    """Where the units came back, and for each serialized line the units that came back."""

    warehouse_code = forms.CharField(label=_("Warehouse code"), max_length=32)

    def __init__(self, *args, serials: list[tuple[int, str, list[str]]], **kwargs) -> None:
        """``serials``: (order line id, its label, serial numbers sold on it and not returned)."""
        super().__init__(*args, **kwargs)
        self.serial_fields = []
        for line_id, label, choices in serials:
            name = f"serials_{line_id}"
            self.fields[name] = forms.MultipleChoiceField(
                label=_("Units of %(item)s that came back") % {"item": label},
                choices=[(s, s) for s in choices],
                widget=forms.CheckboxSelectMultiple,
            )
            self.serial_fields.append((line_id, name))

    def serials(self) -> dict[int, list[str]]:
        return {line_id: self.cleaned_data[name] for line_id, name in self.serial_fields}
