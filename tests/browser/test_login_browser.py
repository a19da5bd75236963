"""Logging in in a real browser, on a desktop and on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import last_outbox_id, screenshot, wait_for_code
from tests.conftest import DEMO_PASSWORD

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}


def log_in(page, base_url, user, remember: bool, shot: str | None = None):
    before = last_outbox_id(base_url)
    page.goto(base_url + "/")
    page.get_by_label("E-mailadres").fill(user["email"])
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    if remember:
        page.get_by_label("Onthoud mij").check()
    if shot:
        screenshot(page, f"{shot}-login")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/login/verify")
    expect(page.get_by_role("heading", name="Vul je inlogcode in")).to_be_visible()
    page.get_by_label("Inlogcode").fill(wait_for_code(base_url, user["phone"], after=before))
    if shot:
        screenshot(page, f"{shot}-verify")
    page.get_by_role("button", name="Verifieer").click()
    page.wait_for_url("**/inbox")


@pytest.mark.parametrize("device", VIEWPORTS)
def test_login_without_remember_me(browser, live_server, live_user, device):
    _app, base_url = live_server
    context = browser.new_context(**VIEWPORTS[device])
    page = context.new_page()
    log_in(page, base_url, live_user, remember=False, shot=device)
    expect(page.get_by_role("heading", name="Postvak IN")).to_be_visible()
    expect(page.get_by_text("Je veilige postvak is leeg.")).to_be_visible()
    screenshot(page, f"{device}-inbox")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["zegel_session"]["expires"] == -1  # gone when the browser closes
    assert "zegel_device" not in cookies

    # A new browser (the old one was closed) must log in again.
    fresh = browser.new_context(**VIEWPORTS[device])
    fresh_page = fresh.new_page()
    fresh_page.goto(base_url + "/inbox")
    assert "/login" in fresh_page.url
    context.close()
    fresh.close()


@pytest.mark.parametrize("device", VIEWPORTS)
def test_remember_me_then_sign_out_everywhere(browser, live_server, live_user, device):
    _app, base_url = live_server
    context = browser.new_context(**VIEWPORTS[device])
    page = context.new_page()
    log_in(page, base_url, live_user, remember=True)
    device_cookie = next(c for c in context.cookies() if c["name"] == "zegel_device")
    assert device_cookie["httpOnly"] and device_cookie["expires"] > 0

    # Closing the browser keeps only the 30-day device cookie: a new context with it skips the login.
    later = browser.new_context(**VIEWPORTS[device])
    later.add_cookies([device_cookie])
    later_page = later.new_page()
    later_page.goto(base_url + "/")
    later_page.wait_for_url("**/inbox")
    expect(later_page.get_by_role("heading", name="Postvak IN")).to_be_visible()

    later_page.get_by_role("link", name="Apparaten").click()
    expect(later_page.get_by_role("heading", name="Apparaten")).to_be_visible()
    screenshot(later_page, f"{device}-devices")
    later_page.get_by_role("button", name="Overal afmelden").click()
    later_page.wait_for_url("**/login")
    expect(later_page.get_by_text("Je bent op alle apparaten afgemeld.")).to_be_visible()

    # The device cookie no longer works, and the first browser is signed out too.
    again = browser.new_context(**VIEWPORTS[device])
    again.add_cookies([device_cookie])
    again_page = again.new_page()
    again_page.goto(base_url + "/inbox")
    assert "/login" in again_page.url
    page.goto(base_url + "/inbox")
    assert "/login" in page.url
    for ctx in (context, later, again):
        ctx.close()


def test_wrong_code_shows_attempts_left_and_language_switch(browser, live_server, live_user):
    _app, base_url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mailadres").fill(live_user["email"])
    page.get_by_label("Wachtwoord").fill("not-the-password")
    page.get_by_role("button", name="Inloggen").click()
    assert page.get_by_role("alert").inner_text() == "Het e-mailadres of wachtwoord is niet juist."
    assert page.get_by_label("Wachtwoord").input_value() == ""

    before = last_outbox_id(base_url)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    code = wait_for_code(base_url, live_user["phone"], after=before)
    page.get_by_label("Inlogcode").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Verifieer").click()
    assert "Nog 4 pogingen over" in page.get_by_role("alert").inner_text()
    screenshot(page, "desktop-wrong-code")

    with page.expect_navigation():
        page.get_by_label("Taal").select_option("en")  # submits itself (zegel.js)
    expect(page.get_by_role("heading", name="Enter your login code")).to_be_visible()
    page.get_by_label("Login code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    context.close()


def test_change_password_and_see_the_dev_outbox(browser, live_server, live_user):
    _app, base_url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, base_url, live_user, remember=False)
    page.get_by_role("link", name="Wachtwoord wijzigen").click()
    page.get_by_label("Huidig wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("kort")
    page.get_by_label("Herhaal nieuw wachtwoord").fill("kort")
    page.get_by_role("button", name="Wachtwoord wijzigen").click()
    assert "Gebruik minstens 10 tekens." in page.get_by_role("alert").inner_text()
    page.get_by_label("Huidig wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("groene thee met honing")
    page.get_by_label("Herhaal nieuw wachtwoord").fill("groene thee met honing")
    page.get_by_role("button", name="Wachtwoord wijzigen").click()
    assert "Je wachtwoord is gewijzigd" in page.get_by_role("status").inner_text()
    screenshot(page, "desktop-password")

    outbox = context.new_page()
    outbox.goto(base_url + "/dev/outbox")
    expect(outbox.get_by_role("heading", name="Dev-outbox")).to_be_visible()
    expect(outbox.locator(f'article[data-kind="sms"]:has-text("{live_user["phone"]}")').first).to_be_visible()
    screenshot(outbox, "desktop-dev-outbox")

    page.goto(base_url + "/no/such/page")
    expect(page.get_by_text("Deze pagina bestaat niet (meer).")).to_be_visible()
    context.close()
