"""How django-allauth behaves in Millet: one sign-in for shoppers and staff.

- The client address of its rate limits (sign-up, password reset) is ``core.client_address``'s,
  the one every per-address limit uses; failed sign-ins are django-axes' (``accounts.signin``).
- After signing in, people who work for the company go to the staff landing page, shoppers to
  their account; a ``next`` that leaves the site is ignored (allauth checks it with
  ``is_safe_url`` against ALLOWED_HOSTS).
- Verification is for addresses people give themselves at sign-up. An account the company made
  without any email address (staff added in the back office) has nothing to verify and signs in;
  one with an unverified address waits for the link.
- Its error texts are Millet's, in Millet's catalogs (allauth ships no Hindi), and no text says
  whether an account exists.
"""

from __future__ import annotations

# allauth.account.internal first: importing allauth.account.stages before it is a circular import
# inside allauth (stages -> internal.flows -> stagekit -> stages). Django runs its system checks in
# set order, so whether allauth's URLs (which import internal) were loaded before this adapter
# changed from process to process.
import allauth.account.internal  # noqa: F401, I001 - must precede stages
from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import request_actor
from millet.core.client_address import client_address

UNKNOWN_OR_WRONG = _("The account name or the password is not right.")


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is closed."),
        "cannot_remove_primary_email": _("Your main email address cannot be removed."),
        "duplicate_email": _("This email address is already on your account."),
        "email_password_mismatch": UNKNOWN_OR_WRONG,
        "username_password_mismatch": UNKNOWN_OR_WRONG,
        "invalid_login": UNKNOWN_OR_WRONG,
        "email_taken": _("This email address cannot be used."),
        "enter_current_password": _("Type your current password."),
        "incorrect_password": _("The password is not right."),
        "invalid_or_expired_key": _("This link is not valid any more."),
        "invalid_password_reset": _("This password reset link is not valid any more."),
        "max_email_addresses": _("You cannot add more than %d email addresses."),
        "unverified_primary_email": _("Confirm your main email address first."),
        "same_as_current": _("The new value must be different from the current one."),
        "rate_limited": _("Too many requests. Please wait a minute and try again."),
        "too_many_login_attempts": _("Too many failed sign-ins. Try again later."),
    }

    def get_login_stages(self) -> list[str]:
        return [
            "millet.accounts.stages.EmailVerificationUnlessNoEmail"
            if stage == "allauth.account.stages.EmailVerificationStage"
            else stage
            for stage in super().get_login_stages()
        ]

    def get_client_ip(self, request: HttpRequest) -> str:
        address = client_address(request)
        if not address:
            raise PermissionDenied("unable to tell the client's address")
        return address

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if request_actor(request).is_employee:
            return reverse("web:staff")
        return super().get_login_redirect_url(request)
