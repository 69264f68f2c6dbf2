"""django-allauth's forms with Millet's labels (translated in Millet's catalogs) and no placeholders:
a label above each field says what it is, which screen readers and translations both need."""

from __future__ import annotations

from allauth.account import forms as allauth
from django import forms
from django.utils.translation import gettext_lazy as _

from millet.accounts.postal import LIMITS

PASSWORD = _("Password")
NEW_PASSWORD = _("New password")
PASSWORD_AGAIN = _("New password again")
EMAIL = _("Email address")


def relabel(form: forms.Form, labels: dict) -> None:
    """Millet's label for each named field; placeholders go (the label is always visible)."""
    for name, label in labels.items():
        if name in form.fields:
            form.fields[name].label = label
            form.fields[name].widget.attrs.pop("placeholder", None)


class SignInForm(allauth.LoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(
            self,
            {
                "login": _("Username or email address"),
                "password": PASSWORD,
                "remember": _("Keep me signed in"),
            },
        )
        if "password" in self.fields:
            self.fields["password"].help_text = ""


class SignUpForm(allauth.SignupForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(self, {"email": EMAIL, "password1": PASSWORD, "password2": _("Password again")})


class PasswordResetForm(allauth.ResetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(self, {"email": EMAIL})


class PasswordResetFromKeyForm(allauth.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(self, {"password1": NEW_PASSWORD, "password2": PASSWORD_AGAIN})


class ChangePasswordForm(allauth.ChangePasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(
            self,
            {"oldpassword": _("Current password"), "password1": NEW_PASSWORD, "password2": PASSWORD_AGAIN},
        )


class SetPasswordForm(allauth.SetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(self, {"password1": NEW_PASSWORD, "password2": PASSWORD_AGAIN})


class AddEmailForm(allauth.AddEmailForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relabel(self, {"email": EMAIL})


class NameForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)


class AddressForm(forms.Form):
    """The fields of an address in one market; the rules are ``postal.address_problems``, which the
    view reports inline. India asks for the state from its list (GST place of supply)."""

    recipient = forms.CharField(label=_("Recipient"), max_length=LIMITS["recipient"])
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=LIMITS["phone"],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    line1 = forms.CharField(
        label=_("Address"),
        max_length=LIMITS["line1"],
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label=_("Address line 2"),
        max_length=LIMITS["line2"],
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=LIMITS["city"],
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    state = forms.CharField(
        label=_("Province or state"),
        max_length=LIMITS["state"],
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=LIMITS["postal_code"],
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, market: str, state_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.market = market
        if market == "IN":
            self.fields["state"] = forms.ChoiceField(
                label=_("State or union territory"),
                choices=[("", _("Choose…")), *state_choices],
                help_text=_("Decides the place of supply, and so whether GST is CGST and SGST or IGST."),
            )
            self.fields["postal_code"].label = _("PIN code")
            self.order_fields(["recipient", "phone", "line1", "line2", "city", "state", "postal_code"])
        elif market == "CN":
            self.fields["state"].label = _("Province")
            self.order_fields(["recipient", "phone", "state", "city", "line1", "line2", "postal_code"])
        elif market == "DE":
            self.fields["postal_code"].label = _("Postcode")
            self.fields["state"].label = _("State")
            self.order_fields(["recipient", "phone", "line1", "line2", "postal_code", "city", "state"])
