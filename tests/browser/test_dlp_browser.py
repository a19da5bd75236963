"""DLP in the compose screen: a BSN typed with its keyword turns the bar orange and secure sending on;
a file with a BSN gives "BSN in bijlage", and "Verwijder bestanden" takes it away."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_login_browser import VIEWPORTS, log_in
from tests.dlp import files


def test_findings_while_composing(browser, live_server, live_user):
    _app, base_url = live_server
    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    log_in(page, base_url, live_user, remember=False)
    page.goto(base_url + "/compose")
    page.get_by_label("Ontvangerscontrole van ontvanger 1").select_option(label="Geen")
    page.get_by_label("E-mailadres van ontvanger 1").fill("otto@ontvanger.nl")
    page.get_by_label("Onderwerp").fill("Uitslag allergietest")
    editor = page.get_by_role("textbox", name="Bericht")
    editor.click()
    page.keyboard.type("Geachte heer Ontvanger, uw huisarts kan u doorverwijzen naar een dermatoloog.")

    bar = page.locator(".dlp-bar")
    grey = bar.get_by_text("Veilig versturen? Woord uit lijst 'medical' in het bericht (Gevonden: 'huisarts').")
    grey.wait_for()
    assert "warning" not in bar.get_attribute("class")
    assert page.get_by_label("Ontvangerscontrole van ontvanger 1").input_value() == "none"
    screenshot(page, "desktop-compose-dlp-grey")

    page.keyboard.type(" Zijn burgerservicenummer is 1112.22.333.")
    bar.get_by_text("Gevoelige inhoud gevonden: BSN in het bericht.").wait_for()
    assert "warning" in bar.get_attribute("class")
    expect(bar.get_by_text("Veilig versturen aangezet")).to_be_visible()
    method = page.get_by_label("Ontvangerscontrole van ontvanger 1")
    assert method.input_value() == "sms"  # no longer "Geen"
    assert method.locator('option[value="none"]').is_disabled()
    assert "1112.22.333" not in bar.inner_text()

    # A file with a BSN: "BSN in bijlage", and removing the file removes the finding.
    page.get_by_label("Bestanden kiezen").set_input_files(files=[{
        "name": "Gevoelige informatie.docx", "mimeType": "application/octet-stream",
        "buffer": files.docx("Patiënt O. Ontvanger", "BSN: 111 222 333")}])
    finding = bar.locator(".dlp-finding").filter(has_text="Gevoelige inhoud gevonden: BSN in bijlage.")
    finding.wait_for()
    screenshot(page, "desktop-compose-dlp-orange")
    finding.get_by_role("button", name="Verwijder bestanden").click()
    finding.wait_for(state="detached")
    assert page.locator("li.upload").count() == 0

    # Close all, open all.
    bar.get_by_role("button", name="Alles sluiten").click()
    expect(bar.get_by_text("meldingen gesloten")).to_be_visible()
    bar.get_by_role("button", name="Alles openen").click()
    expect(bar.get_by_text("Gevoelige inhoud gevonden: BSN in het bericht.")).to_be_visible()
    context.close()


def test_an_admin_adds_a_rule_and_a_word_list(browser, live_server, live_admin):
    _app, base_url = live_server
    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    log_in(page, base_url, live_admin, remember=False)
    page.get_by_role("link", name="Controleregels").click()
    page.wait_for_url("**/admin/dlp")
    assert page.get_by_label("Naam van regel 1").input_value() == "BSN"

    # A rule whose regular expression RE2 cannot take is refused, and nothing is saved.
    new = page.locator("tr.new-rule")
    new.get_by_role("textbox").first.fill("Zaaknummer")
    new.locator('select[name$="_detector"]').select_option("regex")
    new.locator(".pattern").fill("ZK-(\\d{6}")
    new.locator('select[name$="_level"]').select_option("warning")
    page.get_by_role("button", name="Regels opslaan").click()
    expect(page.get_by_role("alert").filter(has_text="kan niet worden gebruikt")).to_be_visible()
    page.locator('input[name$="_pattern"][value="ZK-(\\\\d{6}"]').fill("ZK-\\d{6}")
    page.get_by_role("button", name="Regels opslaan").click()
    expect(page.get_by_text("De regels zijn opgeslagen.")).to_be_visible()
    assert page.locator('input[value="Zaaknummer"]').count() == 1

    page.get_by_label("Naam (kleine letters, cijfers, - of _)").fill("projecten")
    page.get_by_label("Termen, één per regel").fill("Zilvermeeuw\nProject Albatros")
    page.get_by_role("button", name="Lijst toevoegen").click()
    expect(page.get_by_text("De woordenlijst is opgeslagen.")).to_be_visible()
    assert page.get_by_label("Woordenlijst 'projecten' (één term per regel)").input_value() == \
        "Zilvermeeuw\nProject Albatros"
    screenshot(page, "desktop-admin-dlp")

    page.goto(base_url + "/compose")
    page.get_by_role("textbox", name="Bericht").click()
    page.keyboard.type("Over ZK-123456.")
    page.locator(".dlp-bar").get_by_text("Gevoelige inhoud gevonden: Zaaknummer in het bericht.").wait_for()
    context.close()
