"""Whether a database already holds a company, so the quick start never seeds twice."""

from django.contrib.auth import get_user_model


def has_data() -> bool:
    return get_user_model().objects.exists()
