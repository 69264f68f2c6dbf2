"""The back office speaks the staff's language: every field's label, every choice and every
domain's name in the admin is a translatable string.

The admin draws its column headers, form labels, filters and its index from the models'
``verbose_name``, their choices and each ``AppConfig.verbose_name``. Left to Django, a field's label is
its attribute name ("Price list", "Quantity fulfilled"): English in an admin otherwise drawn in
Chinese, Hindi or German. ``tests/i18n/test_catalogs.py`` then makes sure each string has its
translation in every language.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import translation
from django.utils.functional import Promise

DOMAINS = sorted(  # the domains with tables: the others (web, demo) have no place in the admin
    (c for c in apps.get_app_configs() if c.name.startswith("millet.") and list(c.get_models())),
    key=lambda config: config.label,
)


def unnamed(config) -> list[str]:
    """What the admin would show in English whatever the language: the domain's name, each field
    label left to Django, and each choice whose label is a plain string."""
    found = [] if isinstance(config.verbose_name, Promise) else [f"the app {config.label}"]
    for model in config.get_models():
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False) or field.auto_created:
                continue
            where = f"{model.__name__}.{field.name}"
            if not isinstance(field.verbose_name, Promise):
                found.append(where)
            for value, label in field.flatchoices:
                if not isinstance(label, Promise):
                    found.append(f"{where} choice {value!r}")
    return found


@pytest.mark.parametrize("config", DOMAINS, ids=lambda config: config.label)
def test_every_label_the_admin_shows_is_translatable(config):
    missing = unnamed(config)
    assert not missing, "give these a verbose_name (or label) in gettext_lazy:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("language", "modify", "cash_back"), [("zh-hans", "修改", "找零"), ("de", "Ändern", "Rückgeld")]
)
def test_the_admins_change_link_is_not_the_tills_change(language, modify, cash_back):
    """Millet's catalogs come before Django's own: the till receipt's "Change" (cash given back)
    turned every "Change" link of the admin into 找零 / Rückgeld. The receipt's word has a context."""
    with translation.override(language):
        assert translation.gettext("Change") == modify
        assert translation.pgettext("cash given back", "Change") == cash_back


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree():
    """A label (or any field option) changed without its migration leaves the next ``makemigrations``
    a change nobody made on purpose."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail("models differ from their migrations:\n" + out.getvalue())
