"""A secure message in a real browser: the sender composes it, an outside recipient
verifies by SMS, reads, downloads and replies, the sender follows up and revokes
another recipient's access. Notifications arrive by SMTP at a server on loopback; SMS codes come from the dev outbox."""
from __future__ import annotations

import re
import time
import uuid
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import last_outbox_id, screenshot, wait_for_code
from tests.browser.test_login_browser import VIEWPORTS, log_in

PDF = b"%PDF-1.4 allergietest " + bytes(range(256)) * 40
SUBJECT = "Uitslag allergietest"
X_PHONE = "+31687654321"


def wait_for_link(smtp, address: str, timeout: float = 15.0) -> str:
    """Wait for the notification at the recipient's mail server and take the /r/ link from it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in reversed(smtp.mails()):
            if mail["To"] == address:
                text = mail.get_body(preferencelist=("plain",)).get_content()
                html = mail.get_body(preferencelist=("html",)).get_content()
                assert "Hierbij de uitslag" not in text + html  # no content in the e-mail
                return urlsplit(re.search(r"https?://\S+/r/[A-Za-z0-9_-]+", text).group(0)).path
        time.sleep(0.2)
    raise AssertionError(f"no notification to {address} within {timeout} s")


def verify_by_sms(page, base_url: str) -> None:
    before = last_outbox_id(base_url)
    page.get_by_role("button", name="Stuur mij een sms-code").click()
    page.get_by_label("SMS-code").fill(wait_for_code(base_url, X_PHONE, after=before))
    page.get_by_role("button", name="Verifieer").click()
    page.wait_for_url("**/read")


def test_compose_read_download_reply_and_revoke(browser, live_server, live_user, live_smtp):
    _app, base_url = live_server
    tag = uuid.uuid4().hex[:8]
    x_addr, y_addr = f"x-{tag}@ontvanger.nl", f"y-{tag}@ontvanger.nl"

    # --- A composes and sends -------------------------------------------------------------
    a_context = browser.new_context(**VIEWPORTS["desktop"])
    a = a_context.new_page()
    log_in(a, base_url, live_user, remember=False)
    a.get_by_role("link", name="Nieuwe conversatie").click()
    a.wait_for_url("**/compose")
    expect(a.get_by_role("heading", name="Nieuwe conversatie")).to_be_visible()

    a.get_by_label("E-mailadres van ontvanger 1").fill(x_addr)
    a.get_by_label("Ontvangerscontrole van ontvanger 1").select_option(label="SMS-code")
    a.get_by_label("Mobiel nummer van ontvanger 1").fill(X_PHONE)
    assert a.get_by_label("Afgesproken wachtwoord voor ontvanger 1").is_hidden()
    a.get_by_label("E-mailadres van ontvanger 2").fill(y_addr)
    a.get_by_label("Ontvangerscontrole van ontvanger 2").select_option(label="Wachtwoord")
    a.get_by_label("Afgesproken wachtwoord voor ontvanger 2").fill("lente-2026")
    assert a.get_by_label("Mobiel nummer van ontvanger 2").is_hidden()
    a.get_by_label("Onderwerp").fill(SUBJECT)
    editor = a.get_by_role("textbox", name="Bericht")
    editor.click()
    a.keyboard.type("Beste heer,")
    a.keyboard.press("Enter")
    a.keyboard.type("Hierbij de uitslag van de allergietest.")
    a.get_by_label("Bestanden kiezen").set_input_files(
        files=[{"name": "uitslag allergietest.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    a.locator("li.upload.done").filter(has_text="uitslag allergietest.pdf").wait_for()
    a.wait_for_load_state("networkidle")  # the address look-ups (zegel.js) have answered
    assert a.get_by_label("Ontvangerscontrole van ontvanger 1").input_value() == "sms"
    assert a.get_by_label("Ontvangerscontrole van ontvanger 2").input_value() == "password"
    screenshot(a, "desktop-compose")
    a.get_by_role("button", name="Verzenden").click()
    a.wait_for_url("**/conversations/**")
    expect(a.get_by_role("status").filter(has_text="Je bericht is veilig verzonden.")).to_be_visible()
    expect(a.get_by_role("heading", name=SUBJECT)).to_be_visible()

    x_link = wait_for_link(live_smtp, x_addr)
    y_link = wait_for_link(live_smtp, y_addr)
    assert x_link != y_link

    # --- X opens the link, verifies by SMS, reads, downloads and replies ----------------------
    x_context = browser.new_context(**VIEWPORTS["desktop"], accept_downloads=True)
    x = x_context.new_page()
    x.goto(base_url + x_link)
    expect(x.get_by_role("heading", name=live_user["name"])).to_be_visible()
    expect(x.get_by_text(f"{SUBJECT}")).to_be_visible()
    expect(x.get_by_text("eindigt op 21")).to_be_visible()
    assert x.get_by_text("Hierbij de uitslag").count() == 0
    screenshot(x, "desktop-portal-landing")
    verify_by_sms(x, base_url)
    body = x.locator("article.message .body")
    assert "Beste heer," in body.inner_text() and "Hierbij de uitslag van de allergietest." in body.inner_text()
    expect(x.get_by_role("heading", name=SUBJECT)).to_be_visible()
    screenshot(x, "desktop-portal-read")

    with x.expect_download() as download_info:
        x.get_by_role("link", name="uitslag allergietest.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "uitslag allergietest.pdf"
    with open(download.path(), "rb") as f:
        assert f.read() == PDF

    x.get_by_label("Je antwoord").fill("Dank u, ik bel de huisarts.")
    with x.expect_navigation(url="**/read"):  # already on …/read: wait for the post's redirect back
        x.get_by_role("button", name="Antwoord versturen").click()
    expect(x.get_by_role("status").filter(has_text="Je antwoord is veilig verstuurd.")).to_be_visible()
    expect(x.get_by_text("Dank u, ik bel de huisarts.")).to_be_visible()
    reply_header = x.locator("article.message").nth(1).locator("header")
    assert reply_header.inner_text().count(x_addr) == 1  # a reply has no name: the address once, not twice

    # --- The same read page on a phone (X's session; a second SMS code would wait out the resend interval) ---
    phone_context = browser.new_context(**VIEWPORTS["phone"])
    phone_context.add_cookies(x_context.cookies())
    phone = phone_context.new_page()
    phone.goto(base_url + x_link)
    phone.get_by_role("link", name="Open het bericht").click()
    phone.wait_for_url("**/read")
    assert "Hierbij de uitslag" in phone.locator("article.message .body").first.inner_text()
    expect(phone.get_by_text("Dank u, ik bel de huisarts.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    screenshot(phone, "phone-portal-read")

    # --- A sees the reply and the read status, and revokes Y's access ---------------------------
    a.get_by_role("link", name="Verzonden").click()
    a.wait_for_url("**/sent")
    a.get_by_role("link", name=re.compile(SUBJECT)).click()
    a.wait_for_url("**/conversations/**")
    expect(a.get_by_text("Dank u, ik bel de huisarts.")).to_be_visible()
    screenshot(a, "desktop-conversation")
    a.get_by_role("link", name="Details").click()
    a.wait_for_url("**/messages/**")
    assert a.get_by_test_id("read-summary").inner_text() == "1 van 2 gelezen"
    screenshot(a, "desktop-details")

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    a.on("dialog", accept)
    y_row = a.locator(f'tr[data-recipient="{y_addr}"]')
    with a.expect_navigation(url="**/messages/**"):
        y_row.get_by_role("button", name="Toegang intrekken").click()
    expect(a.get_by_text("De toegang is ingetrokken.")).to_be_visible()
    assert dialogs == [f"Toegang intrekken voor {y_addr}?"]
    expect(y_row.get_by_text("Toegang ingetrokken")).to_be_visible()
    expect(a.locator(f'tr[data-recipient="{x_addr}"]').get_by_role("button", name="Toegang intrekken")).to_be_visible()
    screenshot(a, "desktop-details-revoked")

    # --- Y sees only that the message was revoked --------------------------------------------------
    y_context = browser.new_context(**VIEWPORTS["desktop"])
    y = y_context.new_page()
    y.goto(base_url + y_link)
    expect(y.get_by_text("Dit bericht is ingetrokken.")).to_be_visible()
    assert y.get_by_label("Wachtwoord").count() == 0
    assert y.locator("input[type=password]").count() == 0
    assert y.get_by_text(SUBJECT).count() == 0
    screenshot(y, "desktop-portal-revoked")

    for context in (a_context, x_context, phone_context, y_context):
        context.close()
