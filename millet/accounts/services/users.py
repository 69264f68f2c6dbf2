"""People: creating users, and the facts about them other domains need (names, ids, groups).

The user table is Django's, owned by accounts; other domains keep user ids and ask here for the
rest, so no other domain queries it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from millet.accounts.actor import Actor
from millet.accounts.roles import ROLE_PERMISSIONS, every_millet_permission, permissions_named
from millet.core.errors import Forbidden, Unprocessable

NAME_LIMIT = 150  # Django's first_name and last_name


def create_customer(username: str, password: str | None = None, email: str = ""):
    return get_user_model().objects.create_user(username=username, password=password, email=email)


def customer_named(username: str):
    """The customer with this username, created (without a password) the first time it is asked for."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    return user


@transaction.atomic
def create_user(
    username: str,
    *,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    superuser: bool = False,
    staff: bool = False,
):
    """A user who can sign in with ``password`` (none: cannot sign in); a superuser is also staff.
    ``staff`` makes a back-office employee who is not a superuser: every Millet service treats them as
    staff, and the admin shows them the models of every Millet domain (``accounts.roles``).

    An ``email`` given here is the company's word for it (the demo, the back office), so it is
    recorded as verified: the web store's sign-in requires a verified address, which shoppers who
    sign up themselves get by the link in their confirmation mail.
    """
    users = get_user_model().objects
    if superuser:
        user = users.create_superuser(username, email, password, first_name=first_name, last_name=last_name)
    else:
        user = users.create_user(
            username, email, password, first_name=first_name, last_name=last_name, is_staff=staff
        )
        if staff:
            user.user_permissions.add(*every_millet_permission())
    if email:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def create_users(people: Sequence[tuple[str, str]]) -> list:
    """Many users at once, by (username, first name), who never sign in (no password is hashed)."""
    User = get_user_model()
    rows = [User(username=username, first_name=first_name) for username, first_name in people]
    for user in rows:
        user.set_unusable_password()
    created = User.objects.bulk_create(rows)
    if not all(user.pk for user in created):  # SQLite before 3.35 returns no ids from bulk_create
        by_name = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])}
        created = [by_name[username] for username, _ in people]
    return created


def add_to_group(user_id: int, group: str) -> None:
    """Give a user a back-office role (the group names are in ``accounts.actor``), with the Django
    model permissions that role has in the back office (``ROLE_PERMISSIONS``)."""
    row, _ = Group.objects.get_or_create(name=group)
    wanted = ROLE_PERMISSIONS.get(group, ())
    if wanted:
        row.permissions.add(*permissions_named(wanted))
    get_user_model().objects.get(pk=user_id).groups.add(row)


def user_id_for(username: str) -> int | None:
    """The id of the user with this username, or None when there is none."""
    if not isinstance(username, str):
        return None
    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


def user_id_for_login(login: str) -> int | None:
    """The id of the active user whose username is ``login`` or, failing that, the only active user
    with that email address (case-insensitive); None when there is no such person or several."""
    if not isinstance(login, str) or not login.strip():
        return None
    login = login.strip()
    people = get_user_model().objects.filter(is_active=True)
    found = people.filter(username=login).values_list("pk", flat=True).first()
    if found is None and "@" in login:
        matches = list(people.filter(email__iexact=login).values_list("pk", flat=True)[:2])
        found = matches[0] if len(matches) == 1 else None
    return found


def usernames(user_ids: Iterable[int]) -> dict[int, str]:
    """User id -> username."""
    return dict(get_user_model().objects.filter(pk__in=set(user_ids)).values_list("pk", "username"))


def is_active_user(user_id: int) -> bool:
    return get_user_model().objects.filter(pk=user_id, is_active=True).exists()


def anyone_registered() -> bool:
    """Whether any user exists (the quick start builds the demo only into an empty database)."""
    return get_user_model().objects.exists()


def set_name(actor: Actor, first_name: str, last_name: str) -> None:
    """The signed-in person's own name, as shown on their account and addressed in mails.

    Raises Forbidden without a user, Unprocessable for a name past 150 characters.
    """
    if actor.user_id is None:
        raise Forbidden("sign in first")
    first_name, last_name = first_name.strip(), last_name.strip()
    if len(first_name) > NAME_LIMIT or len(last_name) > NAME_LIMIT:
        raise Unprocessable(f"a name has at most {NAME_LIMIT} characters", code="invalid_name")
    get_user_model().objects.filter(pk=actor.user_id).update(first_name=first_name, last_name=last_name)


def email_addresses(actor: Actor) -> list[tuple[str, bool, bool]]:
    """The signed-in person's email addresses as (address, verified, primary), the primary first."""
    if actor.user_id is None:
        raise Forbidden("sign in first")
    rows = EmailAddress.objects.filter(user_id=actor.user_id).order_by("-primary", "email")
    return list(rows.values_list("email", "verified", "primary"))
