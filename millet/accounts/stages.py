"""Millet's sign-in stage, in its own module: allauth imports it by its path when it signs someone
in, so the adapter never imports ``allauth.account.stages`` itself (imported first, during Django's
start, that module runs into a circular import inside allauth)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage


class EmailVerificationUnlessNoEmail(EmailVerificationStage):
    def handle(self):
        user = self.login.user
        if user is not None and not EmailAddress.objects.filter(user_id=user.pk).exists():
            return None, True
        return super().handle()
