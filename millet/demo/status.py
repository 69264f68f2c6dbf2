"""Whether a database already holds a company, so the quick start never seeds twice."""

from millet.accounts.services import anyone_registered


def has_data() -> bool:
    return anyone_registered()
