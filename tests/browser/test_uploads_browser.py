"""Large attachments in a real browser: a file of a few hundred MB goes up through tus-js-client with a
progress bar, the page is reloaded halfway, the same file chosen again continues where it stopped; a
folder goes along; the recipient downloads the same bytes and the folder as a zip."""
from __future__ import annotations

import hashlib
import io
import uuid
import zipfile

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import screenshot
from tests.browser.test_login_browser import VIEWPORTS, log_in
from tests.browser.test_messages_browser import wait_for_link

SIZE = 300 * 1024 * 1024
PASSWORD = "herfst-2026"


def _big_file(path) -> str:
    """Bytes that differ everywhere (a shifted or repeated chunk would not go unnoticed)."""
    digest = hashlib.sha256()
    block = bytearray(hashlib.sha256(b"zegel").digest() * (1024 * 1024 // 32))
    with open(path, "wb") as fh:
        for i in range(SIZE // len(block)):
            block[:8] = i.to_bytes(8, "big")
            fh.write(block)
            digest.update(block)
    return digest.hexdigest()


def _throttle(page, megabytes_per_second: float) -> None:
    """Chromium's own network throttling, so the upload lasts long enough to reload in the middle."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": megabytes_per_second * 1024 * 1024})


def _uploads_created(app, email: str) -> int:
    from zegel.accounts.models import User
    from zegel.audit.models import AuditEvent
    from zegel.extensions import db
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "upload.created", AuditEvent.actor_id == user_id))


def test_large_upload_survives_a_reload_and_arrives_intact(browser, live_server, live_user, live_smtp, tmp_path):
    app, base_url = live_server
    big = tmp_path / "scan archief.bin"
    expected = _big_file(big)
    folder = tmp_path / "Röntgenfoto's"
    (folder / "knie").mkdir(parents=True)
    (folder / "knie" / "links.txt").write_text("linkerknie\n")
    (folder / "overzicht.txt").write_text("overzicht\n")
    recipient = f"z-{uuid.uuid4().hex[:8]}@ontvanger.nl"

    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    log_in(page, base_url, live_user, remember=False)
    page.goto(base_url + "/compose")
    _throttle(page, 40)
    page.get_by_label("Bestanden kiezen").set_input_files(big)
    item = page.locator("li.upload").filter(has_text="scan archief.bin")
    page.wait_for_function("() => document.querySelector('li.upload progress')?.value >= 25")
    assert page.get_by_role("button", name="Verzenden").is_disabled()
    expect(page.get_by_text("Wacht tot de bijlages zijn geüpload.")).to_be_visible()
    status = item.locator(".status").inner_text()
    assert "/s" in status and "nog" in status, status
    screenshot(page, "desktop-compose-uploading")

    # Halfway: reload. The page says what was not finished; the same file chosen again continues.
    page.reload()
    notice = page.locator(".unfinished")
    expect(notice).to_contain_text("scan archief.bin")
    screenshot(page, "desktop-compose-unfinished")
    _throttle(page, 40)
    page.get_by_label("Bestanden kiezen").set_input_files(big)
    page.wait_for_function("() => document.querySelector('li.upload progress')?.value > 0")
    resumed_at = page.evaluate("document.querySelector('li.upload progress').value")
    assert resumed_at >= 20, resumed_at  # it did not start from zero
    assert notice.is_hidden()  # nothing left to remind of

    # Pause: nothing moves until Resume.
    item.get_by_role("button", name="Pauzeren").click()
    assert item.locator(".status").inner_text() == "Gepauzeerd"
    paused_at = page.evaluate("document.querySelector('li.upload progress').value")
    page.wait_for_timeout(1000)
    assert page.evaluate("document.querySelector('li.upload progress').value") == paused_at
    assert page.get_by_role("button", name="Verzenden").is_disabled()
    item.get_by_role("button", name="Hervatten").click()
    page.wait_for_function(f"() => document.querySelector('li.upload progress').value > {paused_at + 2}")

    # The connection fails for a while (every PATCH is cut off): the upload says so and goes on by itself.
    def cut(route):
        if route.request.method == "PATCH":
            route.abort("connectionreset")
        else:
            route.continue_()
    page.route("**/api/v1/uploads/**", cut)
    item.locator(".status").filter(has_text="Verbinding verbroken").wait_for(timeout=30_000)
    screenshot(page, "desktop-compose-retrying")
    page.unroute("**/api/v1/uploads/**")
    _throttle(page, 200)
    page.get_by_label("Map kiezen").set_input_files(folder)
    # Dropped on the upload area (a synthetic drop: Chromium gives it files, no folder entries).
    page.locator(".upload-zone").dispatch_event("drop", {"dataTransfer": page.evaluate_handle(
        "() => { const dt = new DataTransfer(); dt.items.add(new File(['gesleept'], 'gesleept.txt',"
        " {type: 'text/plain'})); return dt; }")})
    page.locator("li.upload.done").nth(3).wait_for(timeout=120_000)
    assert page.locator("li.upload.done").count() == 4
    assert _uploads_created(app, live_user["email"]) == 4  # the big one was created once, not twice
    assert page.get_by_role("button", name="Verzenden").is_enabled()

    page.get_by_label("E-mailadres van ontvanger 1").fill(recipient)
    page.get_by_label("Ontvangerscontrole van ontvanger 1").select_option(label="Wachtwoord")
    page.get_by_label("Afgesproken wachtwoord voor ontvanger 1").fill(PASSWORD)
    page.get_by_label("Onderwerp").fill("Scans")
    page.get_by_role("textbox", name="Bericht").fill("De scans en de röntgenfoto's.")
    screenshot(page, "desktop-compose-uploaded")
    page.get_by_role("button", name="Verzenden").click()
    page.wait_for_url("**/conversations/**")
    expect(page.get_by_role("link", name="scan archief.bin")).to_be_visible()
    expect(page.get_by_role("link", name="Röntgenfoto's.zip")).to_be_visible()
    expect(page.get_by_role("link", name="gesleept.txt")).to_be_visible()
    screenshot(page, "desktop-conversation-large")

    # The recipient verifies with the password and downloads the file and the folder.
    r_context = browser.new_context(**VIEWPORTS["desktop"], accept_downloads=True)
    r = r_context.new_page()
    r.goto(base_url + wait_for_link(live_smtp, recipient))
    r.get_by_label("Wachtwoord").fill(PASSWORD)
    r.get_by_role("button", name="Open het bericht").click()
    r.wait_for_url("**/read")
    with r.expect_download(timeout=120_000) as info:
        r.get_by_role("link", name="scan archief.bin").click()
    digest = hashlib.sha256()
    with open(info.value.path(), "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    assert digest.hexdigest() == expected
    with r.expect_download() as info:
        r.get_by_role("link", name="Röntgenfoto's.zip").click()
    assert info.value.suggested_filename == "Röntgenfoto's.zip"
    with open(info.value.path(), "rb") as fh:
        archive = zipfile.ZipFile(io.BytesIO(fh.read()))
    assert sorted(archive.namelist()) == ["Röntgenfoto's/knie/links.txt", "Röntgenfoto's/overzicht.txt"]
    assert archive.read("Röntgenfoto's/knie/links.txt") == b"linkerknie\n"
    r.get_by_text("Toon de bestanden").click()
    screenshot(r, "desktop-portal-folder")
    for ctx in (context, r_context):
        ctx.close()
