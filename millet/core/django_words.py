"""Django's own form checks whose words its catalogs leave untranslated in a language we serve.

Django's Hindi catalog has no words for the length and digit checks (``max_length``,
``min_length``, ``DecimalField``'s digits and places), so a return reason, a claim's description or
a loan payment's amount that is too long was refused in English on a Hindi page. Marked here with
Django's exact msgids, they land in the project's catalog (millet/locale), which ``LOCALE_PATHS``
puts before Django's own; de and zh-Hans keep Django's words there too. Never called: only extracted.
"""

from __future__ import annotations

from django.utils.translation import ngettext_lazy

CHECKS = (
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
        "max",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.",
        "max",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit before the decimal point.",
        "Ensure that there are no more than %(max)s digits before the decimal point.",
        "max",
    ),
)
