"""One actor per request: the view and the layout's menu share the roles read once."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from millet.accounts.actor import EXECUTIVE_GROUP, actor_for, request_actor
from millet.accounts.services import add_to_group


def test_the_roles_are_read_once_per_request_and_again_for_another_user(world, django_assert_num_queries):
    request = RequestFactory().get("/staff/")
    request.user = world.users["manager_sh"]
    with django_assert_num_queries(1):  # the store jobs; the groups only when asked
        first = request_actor(request)
        assert request_actor(request) is first
    assert first.store_roles and first.user_id == world.users["manager_sh"].pk
    with django_assert_num_queries(1):
        assert not first.is_executive and not request_actor(request).is_executive
    request.user = world.users["alice"]  # a sign-in during the request: another user's roles
    assert request_actor(request).user_id == world.users["alice"].pk
    assert not request_actor(request).store_roles
    request.user = AnonymousUser()  # a sign-out: the visitor's actor, as actor_for_user gives it
    assert request_actor(request).user_id is None


def test_the_next_request_reads_the_roles_again(world):
    user = world.users["alice"]
    before = RequestFactory().get("/staff/")
    before.user = user
    assert not request_actor(before).is_executive
    add_to_group(user.pk, EXECUTIVE_GROUP)
    after = RequestFactory().get("/staff/")
    after.user = user
    assert request_actor(after).is_executive


def test_a_token_actor_reads_the_store_jobs_only_when_asked(world, django_assert_num_queries):
    manager = world.users["manager_sh"]
    expected = request_actor_roles(manager)
    with django_assert_num_queries(0):  # an API request that never asks pays no query for them
        actor = actor_for(manager.pk, is_staff=False, lazy_jobs=True)
    with django_assert_num_queries(1):  # read once, on the first question
        assert actor.store_roles == expected and actor.can_manage(next(iter(expected)))
        assert actor.location_roles
    assert actor_for(world.users["alice"].pk, is_staff=False, lazy_jobs=True).store_roles == {}


def request_actor_roles(user) -> dict[int, str]:
    """The roles a page's actor (read at once) gives the same user."""
    request = RequestFactory().get("/staff/")
    request.user = user
    return request_actor(request).store_roles
