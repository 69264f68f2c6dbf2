"""Sharing a device by invitation in a browser: the owner invites by username, the invitee accepts on
their page, a read-only member sees the device but gets no controls (the service refuses their
commands), and inviting an unknown username gets exactly the same answer as a real one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from millet.accounts.actor import actor_for_user
from millet.core.errors import Forbidden
from millet.devices import services as devices
from tests.browser.conftest import axe, sign_in
from tests.browser.test_owner_automations import BULB, owned_units


def invite(page, login: str, role: str) -> str:
    """Invite ``login`` to the bulb from the sharing page; the answer the owner reads."""
    page.goto("/devices/sharing/")
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name=BULB))
    card.get_by_label("Username or email").fill(login)
    card.get_by_label(role).check()
    card.get_by_role("button", name="Send the invitation").click()
    answer = page.get_by_role("status").inner_text() + page.get_by_role("main").inner_text()
    return answer.replace(login, "<login>")


def test_invite_accept_and_a_read_only_member_gets_no_controls(open_page, shop, make_user, shot):
    owner, member = make_user("liwei"), make_user("mei", email="mei@example.com")
    units = owned_units(owner, {"bulb": "BULB-1"})
    try:
        page = open_page("mobile", language="en", javascript=False)
        sign_in(page, "liwei")
        page.goto("/account/")
        page.get_by_role("link", name="Device sharing").first.click()
        expect(page.get_by_text("Shared with nobody yet.")).to_be_visible()
        known = invite(page, "mei", "Look only")
        unknown = invite(page, "no-such-person", "Look only")
        assert known == unknown  # the same page, word for word: nobody learns who has an account
        assert "If “<login>” has a Millet account, your invitation is waiting for them." in known
        expect(page.get_by_text("Shared with nobody yet.")).to_be_visible()  # until mei accepts
        assert axe_free(page)
        shot(page, "sharing-owner-mobile")

        page = open_page("mobile", language="en", javascript=False)
        sign_in(page, "mei")
        page.goto("/devices/sharing/")
        invitations = page.get_by_role("region", name="Invitations for you")
        expect(invitations.get_by_text(f"liwei invites you to look at {BULB}.")).to_be_visible()
        shot(page, "sharing-invitee-mobile")
        invitations.get_by_role("button", name="Accept").click()
        expect(page.get_by_text("Invitation accepted: the device is in your list.")).to_be_visible()
        shared = page.get_by_role("region", name="Shared with you")
        expect(shared.get_by_text(f"{BULB} · You may look only")).to_be_visible()
        expect(page.get_by_role("region", name="Invitations for you")).to_have_count(0)

        # A read-only member: no automation may use the bulb, and the service refuses commands.
        page.goto("/devices/automations/")
        expect(page.get_by_role("link", name="New automation")).to_have_count(0)
        expect(page.get_by_text("No devices to automate")).to_be_visible()
        with pytest.raises(Forbidden):
            devices.request_set(actor_for_user(member), units["bulb"], {"on": True})
        page.goto("/devices/updates/")
        expect(page.get_by_role("heading", name=BULB)).to_be_visible()
        expect(page.get_by_role("button", name="Install")).to_have_count(0)

        page = open_page("desktop", language="en")
        sign_in(page, "liwei")
        page.goto("/devices/sharing/")
        members = page.get_by_role("list", name=f"Members of {BULB}")
        expect(members.get_by_text("mei · May look only")).to_be_visible()
        assert axe(page) == []
        shot(page, "sharing-owner-desktop")
        page.get_by_role("button", name="Remove mei").click()
        expect(page.get_by_text("mei no longer shares this device.")).to_be_visible()
        assert devices.list_devices(actor_for_user(member)) == []
    finally:
        devices.forget_specs()


def axe_free(page) -> bool:
    """axe needs scripts; a page opened without JavaScript is checked again in a scripted context."""
    scripted = page.context.browser.new_context(
        base_url=page.url.split("/devices/")[0], storage_state=page.context.storage_state()
    )
    try:
        other = scripted.new_page()
        other.goto(page.url)
        violations = axe(other)
        assert violations == [], violations  # the list, so a failure names the rule and the element
        return True
    finally:
        scripted.close()
