"""The Outlook add-in end to end: a harness page stands in for Outlook (it implements the mailbox
item calls the add-in makes and records them) and loads the real task pane and the real handler
bundle from the live server; Microsoft's office.js is replaced by the harness's."""
from __future__ import annotations

import base64
import hashlib
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, last_outbox_id, screenshot, wait_for_code
from tests.browser.test_login_browser import VIEWPORTS
from tests.browser.test_messages_browser import X_PHONE, verify_by_sms
from tests.conftest import DEMO_PASSWORD

HARNESS = Path(__file__).resolve().parents[1] / "addin" / "harness"
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
BODY = ("<p>Beste mevrouw,</p><p>Uw burgerservicenummer is 111222333. De huisarts heeft de uitslag "
        "ontvangen.</p>")
LETTER = b"Verwijsbrief voor de poli.\n"


def open_outlook(context, base_url: str, *, item: dict, pane: str | None = "/addin/taskpane.html", width: int = 450,
                 language: str = "nl-NL"):
    """A page with the harness as Outlook, the given item, and the add-in's pane and event runtime."""
    context.route(OFFICE_JS, lambda route: route.fulfill(path=str(HARNESS / "office.js"),
                                                         content_type="text/javascript"))
    context.route(f"{base_url}/__harness__/outlook.html",
                  lambda route: route.fulfill(path=str(HARNESS / "outlook.html"), content_type="text/html"))
    page = context.new_page()
    page.on("console", lambda m: print("CONSOLE", m.type, m.text))  # shown by pytest when a test fails
    page.goto(f"{base_url}/__harness__/outlook.html")
    page.evaluate("([item, language]) => { Object.assign(harness.item, item); harness.language = language; }",
                  [item, language])
    page.evaluate("([pane, width]) => harness.start({pane, width})", [pane, width])
    page.wait_for_function("() => harness.actions.onMessageSendHandler !== undefined")
    return page, page.frame_locator("#pane")


LOGIN_WORDS = {
    "nl": ("E-mailadres", "Wachtwoord", "Onthoud mij", "Inloggen", "Vul je inlogcode in", "Inlogcode", "Verifieer"),
    "en": ("E-mail address", "Password", "Remember me", "Log in", "Enter your login code", "Login code", "Verify"),
}


def wait_for_state(page, condition: str) -> None:
    """Wait until the pane has written what the user chose into the item's state (s)."""
    page.wait_for_function(
        "() => { const s = {}; for (const [k, v] of Object.entries(harness.item.sessionData)) "
        "{ if (k.startsWith('zegel.') && k !== 'zegel.tokens') s[k.slice(6)] = JSON.parse(v); } "
        f"return Boolean(s.recipients && ({condition})); }}")


def sign_in(pane, base_url: str, user: dict, remember: bool = True, language: str = "nl") -> None:
    email, password, remember_me, log_in, heading, code, verify = LOGIN_WORDS[language]
    before = last_outbox_id(base_url)
    pane.get_by_label(email).fill(user["email"])
    pane.get_by_label(password, exact=True).fill(DEMO_PASSWORD)
    if remember:
        pane.get_by_label(remember_me).check()
    pane.get_by_role("button", name=log_in).click()
    expect(pane.get_by_role("heading", name=heading)).to_be_visible()
    pane.get_by_label(code).fill(wait_for_code(base_url, user["phone"], after=before))
    pane.get_by_role("button", name=verify).click()


def test_secure_send_from_outlook_then_read_status_in_the_read_pane(browser, live_server, live_user, tmp_path):
    app, base_url = live_server
    tag = uuid.uuid4().hex[:8]
    x_addr, y_addr = f"x-{tag}@ontvanger.nl", f"y-{tag}@ontvanger.nl"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    # Signed in once, with "Onthoud mij": later compose windows know the user.
    login_page, login_pane = open_outlook(context, base_url, item={"subject": "", "body": "", "to": []})
    sign_in(login_pane, base_url, live_user)
    expect(login_pane.get_by_text("Ontvangerscontrole", exact=True)).to_be_visible()
    login_page.close()

    # Outlook opens a compose form (the pane still closed): the early scan finds the BSN and the word
    # from the medical list, says so in Outlook's notification bar and turns secure sending on.
    page, pane = open_outlook(context, base_url, pane=None, item={
        "subject": "Uitslag onderzoek", "body": BODY, "to": [x_addr], "cc": [y_addr],
        "attachments": [{"id": "att-1", "name": "verwijsbrief.txt", "size": len(LETTER), "contentType": "text/plain",
                         "attachmentType": "file", "content": base64.b64encode(LETTER).decode()}],
    })
    page.evaluate("harness.fire('onNewMessageComposeHandler')")
    notice = page.locator("#notices div")
    expect(notice).to_contain_text("Veilig versturen is aangezet")
    expect(notice).to_contain_text("BSN")
    details = page.evaluate("harness.item.notices['zegel-dlp']")
    assert details["type"] == "insightMessage" and len(details["message"]) <= 150
    assert details["actions"][0]["actionType"] == "showTaskPane"
    # The user opens the pane from the notification: the same findings, and the switch is on.
    page.evaluate("harness.openPane()")
    pane.get_by_role("button", name="Controleer").click()
    findings = pane.locator("#findings")
    expect(findings).to_contain_text("BSN")
    expect(findings).to_contain_text("huisarts")
    expect(pane.get_by_role("switch", name="Veilig versturen")).to_be_checked()

    # Recipient verification: SMS for one, a password for the other.
    pane.get_by_label(f"Ontvangerscontrole voor {x_addr}").select_option(label="SMS-code")
    pane.get_by_label(f"Mobiel nummer voor {x_addr}").fill("06 87654321")
    pane.get_by_label(f"Mobiel nummer voor {x_addr}").press("Tab")
    expect(pane.get_by_label(f"Mobiel nummer voor {x_addr}")).to_have_value(X_PHONE)  # the server's E.164 form
    pane.get_by_label(f"Ontvangerscontrole voor {y_addr}").select_option(label="Wachtwoord")
    pane.get_by_label(f"Afgesproken wachtwoord voor {y_addr}").fill("lente-2026")
    pane.get_by_label(f"Afgesproken wachtwoord voor {y_addr}").press("Tab")

    # A large attachment through Zegel, with a progress bar.
    big = tmp_path / "MRI-beelden.bin"
    big.write_bytes(hashlib.sha256(b"zegel").digest() * (50 * 1024 * 1024 // 32))
    pane.get_by_label("Bestanden kiezen").set_input_files(str(big))
    expect(pane.locator("li.upload progress")).to_be_visible()
    expect(pane.locator("li.upload.done").filter(has_text="MRI-beelden.bin")).to_be_visible(timeout=60000)

    pane.get_by_role("button", name="Controleer").click()
    expect(pane.get_by_text("Alles is in orde")).to_be_visible()
    screenshot(page, "addin-harness-compose")

    # Send: the handler stores the message in Zegel and Outlook sends the placeholder.
    wait_for_state(page, f"s.secure && s.uploads.length === 1 && s.recipients['{y_addr}'].password === 'lente-2026'")
    result = page.evaluate("harness.fire('onMessageSendHandler')")
    assert result == {"allowEvent": True}
    item = page.evaluate("harness.item")
    assert "111222333" not in item["body"] and "huisarts" not in item["body"]
    link = re.search(r'href="(https?://[^"]+/r/[A-Za-z0-9_-]+)"', item["body"]).group(1)
    assert item["attachments"] == []
    message_id = item["headers"]["x-zegel-message-id"]
    assert item["subject"] == "Uitslag onderzoek"

    from zegel.extensions import db
    from zegel.messages.models import Message
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message is not None and message.author_email == live_user["email"]
        assert b"111222333" not in message.body_ct and b"Uitslag" not in message.subject_ct
        assert sorted(a.size for a in message.attachments) == [len(LETTER), big.stat().st_size]
        assert {r.email: r.method for r in message.recipients} == {x_addr: "sms", y_addr: "password"}

    # The recipient opens the placeholder's link in another browser, verifies and reads.
    x_context = browser.new_context(**VIEWPORTS["desktop"])
    x = x_context.new_page()
    x.goto(base_url + re.sub(r"^https?://[^/]+", "", link))
    x.get_by_label("Je e-mailadres").fill(x_addr)
    x.get_by_role("button", name="Verder").click()
    verify_by_sms(x, base_url)
    expect(x.locator("article.message .body")).to_contain_text("Uw burgerservicenummer is 111222333.")
    expect(x.get_by_role("link", name="verwijsbrief.txt")).to_be_visible()
    x_context.close()

    assert item["properties"] == {"zegelMessageId": message_id}  # kept with the item for Sent Items

    # Read mode: the sender opens the placeholder in Sent Items, where Outlook shows add-ins no internet
    # headers; the pane finds the message by the id kept with the item and shows who read it.
    read_page, read_pane = open_outlook(context, base_url, item={
        "subject": "Uitslag onderzoek", "body": item["body"], "to": [x_addr], "cc": [y_addr],
        "properties": item["properties"]}, pane="/addin/taskpane.html?mode=read")
    card = read_pane.locator(f'article[data-message="{message_id}"]')
    expect(card).to_contain_text("Uw burgerservicenummer is 111222333.")
    expect(card.locator(f'tr[data-recipient="{x_addr}"]')).to_contain_text("Gelezen")
    expect(card.locator(f'tr[data-recipient="{y_addr}"]')).to_contain_text("Nog niet gelezen")
    expect(card.get_by_role("img", name="Gelezen door 1 van 2 ontvangers")).to_be_visible()

    # Revoke y's access from the pane, and restore it.
    card.locator(f'tr[data-recipient="{y_addr}"]').get_by_role("button", name="Toegang intrekken").click()
    read_pane.get_by_role("button", name="Ja").click()
    expect(card.locator(f'tr[data-recipient="{y_addr}"]')).to_contain_text("Toegang ingetrokken")
    card.locator(f'tr[data-recipient="{y_addr}"]').get_by_role("button", name="Toegang herstellen").click()
    expect(card.locator(f'tr[data-recipient="{y_addr}"]')).to_contain_text("Nog niet gelezen")

    # A secure reply from the pane lands in the same conversation.
    read_pane.get_by_label("Je antwoord").fill("De afspraak staat op dinsdag.")
    read_pane.get_by_label(f"Afgesproken wachtwoord voor {y_addr}").fill("lente-2026")
    read_pane.get_by_role("button", name="Antwoord veilig versturen").click()
    expect(read_pane.locator("article.message")).to_have_count(2)
    expect(read_pane.locator("article.message").nth(1)).to_contain_text("De afspraak staat op dinsdag.")
    pane_screenshot(read_page, "addin-readpane-450-nl")
    context.close()


def test_send_is_blocked_when_zegel_cannot_be_reached(browser, live_server, live_user):
    _app, base_url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page, pane = open_outlook(context, base_url, item={
        "subject": "Afspraak", "body": "<p>Tot dinsdag</p>", "to": ["iemand@example.nl"]})
    sign_in(pane, base_url, live_user, remember=False)
    pane.get_by_role("switch", name="Veilig versturen").check()
    pane.get_by_label("Ontvangerscontrole voor iemand@example.nl").select_option(label="Geen")
    wait_for_state(page, "s.secure && s.recipients['iemand@example.nl'].method === 'none'")
    # The network goes away between composing and sending.
    context.route(f"{base_url}/api/v1/**", lambda route: route.abort("connectionrefused"))
    result = page.evaluate("harness.fire('onMessageSendHandler')")
    assert result["allowEvent"] is False and "niet bereikbaar" in result["errorMessage"]
    assert page.evaluate("harness.item.body") == "<p>Tot dinsdag</p>"
    assert page.evaluate("harness.item.headers") == {}
    context.close()


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("width", [320, 450])
def test_task_pane_screenshots(browser, live_server, live_user, width, language):
    """The pane at Outlook's narrow and wide sizes, in Dutch and English (kept in docs/img/)."""
    _app, base_url = live_server
    context = browser.new_context(viewport={"width": 1200, "height": 1000},
                                  locale="nl-NL" if language == "nl" else "en-GB")
    page, pane = open_outlook(context, base_url, width=width, language="nl-NL" if language == "nl" else "en-GB", item={
        "subject": "Uitslag onderzoek", "body": BODY, "to": ["otto.ontvanger@example.nl"],
        "cc": ["petra.jansen@ziekenhuis.example"]})
    sign_in(pane, base_url, live_user, remember=False, language=language)
    page.evaluate("harness.fire('onNewMessageComposeHandler')")
    check = "Controleer" if language == "nl" else "Check"
    pane.get_by_role("button", name=check).click()
    expect(pane.locator("#findings")).to_contain_text("BSN")
    scroll_width = pane.locator("body").evaluate("b => b.scrollWidth")
    assert scroll_width <= width  # nothing sticks out sideways
    pane_screenshot(page, f"addin-taskpane-{width}-{language}")
    context.close()


def pane_screenshot(page, name: str) -> None:
    """The pane alone, as tall as its content (the copies in docs/img/ are these, looked at by eye)."""
    frame = page.locator("#pane")
    frame.evaluate("f => { f.style.height = f.contentDocument.documentElement.scrollHeight + 'px'; }")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frame.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_finding_in_an_outlook_attachment_can_remove_that_attachment(browser, live_server, live_user):
    _app, base_url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    letter = base64.b64encode(b"Patient: O. Ontvanger\nBurgerservicenummer: 111222333\n").decode()
    page, pane = open_outlook(context, base_url, item={
        "subject": "Verwijzing", "body": "<p>Zie bijlage.</p>", "to": ["iemand@example.nl"],
        "attachments": [{"id": "att-9", "name": "verwijzing.txt", "size": 60, "contentType": "text/plain",
                         "attachmentType": "file", "content": letter}]})
    sign_in(pane, base_url, live_user, remember=False)
    finding = pane.locator("#findings li").filter(has_text="BSN")
    expect(finding).to_contain_text("bijlage")
    finding.get_by_role("button", name="Verwijder bestand").click()
    page.wait_for_function("() => harness.item.attachments.length === 0")
    assert any(c["name"] == "removeAttachmentAsync" and c["args"] == ["att-9"] for c in page.evaluate("harness.calls"))
    expect(pane.locator("#findings")).to_be_hidden()
    context.close()


def test_the_read_pane_finds_a_placeholder_by_its_link(browser, live_server, live_user):
    """An item without the header or the kept id (forwarded, or headers stripped on the way): the
    pane looks the message up by the link in the body; a stranger's e-mail is "not a Zegel message"."""
    app, base_url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page, pane = open_outlook(context, base_url, item={"subject": "Afspraak", "body": "<p>Tot dinsdag</p>",
                                                         "to": ["iemand@example.nl"]})
    sign_in(pane, base_url, live_user, remember=False)
    pane.get_by_role("switch", name="Veilig versturen").check()
    pane.get_by_label("Ontvangerscontrole voor iemand@example.nl").select_option(label="Geen")
    wait_for_state(page, "s.secure && s.recipients['iemand@example.nl'].method === 'none'")
    assert page.evaluate("harness.fire('onMessageSendHandler')") == {"allowEvent": True}
    placeholder = page.evaluate("harness.item.body")
    read_page, read_pane = open_outlook(context, base_url, item={"subject": "Afspraak", "body": placeholder},
                                        pane="/addin/taskpane.html?mode=read")
    expect(read_pane.locator("article.message")).to_contain_text("Tot dinsdag")
    other_page, other_pane = open_outlook(context, base_url, item={"subject": "Nieuwsbrief", "body": "<p>Hallo</p>"},
                                          pane="/addin/taskpane.html?mode=read")
    expect(other_pane.get_by_text("Deze e-mail is geen Zegel-bericht.")).to_be_visible()
    context.close()
