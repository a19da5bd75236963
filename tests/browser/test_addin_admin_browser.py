"""An administrator finds the Outlook add-in page in the mailbox navigation, next to the content rules,
and reads how to deploy the add-in; on this plain-http test server the page warns that Outlook needs https."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_login_browser import VIEWPORTS, log_in

NAV_LINK = re.compile(r"^Outlook-invoegtoepassing$")


def test_an_admin_opens_the_addin_page_from_the_navigation(browser, live_server, live_admin):
    app, base_url = live_server
    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    log_in(page, base_url, live_admin, remember=False)

    nav = page.locator("nav.sidebar")
    links = nav.get_by_role("link")
    expect(links.filter(has_text="Controleregels")).to_have_count(1)
    names = [n.strip() for n in links.all_inner_texts()]
    rules = names.index("Controleregels")
    assert NAV_LINK.match(names[rules + 1]), names  # right after the content rules

    nav.get_by_role("link", name=NAV_LINK).click()
    page.wait_for_url("**/admin/addin")
    expect(page.get_by_role("heading", level=1, name=NAV_LINK)).to_be_visible()
    expect(nav.get_by_role("link", name=NAV_LINK)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("alert")).to_contain_text("ZEGEL_PUBLIC_URL")  # http here: Outlook needs https
    # The configured public address (what Outlook will fetch), not the address the admin happens to use.
    manifest_url = app.config["ZEGEL"].public_url + "/addin/manifest.xml"
    expect(page.locator("input.manifest-url")).to_have_value(manifest_url)
    expect(page.locator("pre.addin-command")).to_contain_text(f'New-App -OrganizationApp -Url "{manifest_url}"')
    steps = page.locator("ol.addin-steps").first.locator("li")
    expect(steps).to_have_count(6)
    expect(steps.nth(1)).to_contain_text("Geïntegreerde apps")
    expect(page.locator("p.no-download")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("download", re.IGNORECASE))).to_have_count(0)
    screenshot(page, "desktop-admin-addin")
    context.close()
