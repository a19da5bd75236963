"""The add-in manifest, checked offline: well-formed, Microsoft's element order, every resid defined,
URLs https on the configured host, string lengths, icons with the right pixel sizes; the file in the
repository is the rendering for the development URL."""
from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "server" / "zegel" / "static"
OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"
V10 = "{http://schemas.microsoft.com/office/mailappversionoverrides}"
V11 = "{http://schemas.microsoft.com/office/mailappversionoverrides/1.1}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

# The sequence of OfficeApp's children for a MailApp in Microsoft's schema (optional ones may be absent).
OFFICEAPP_ORDER = ["Id", "AlternateId", "Version", "ProviderName", "DefaultLocale", "DisplayName", "Description",
                   "IconUrl", "HighResolutionIconUrl", "SupportUrl", "AppDomains", "Hosts", "Requirements",
                   "FormSettings", "Permissions", "Rule", "DisableEntityHighlighting", "VersionOverrides"]
VERSIONOVERRIDES_ORDER = ["Description", "Requirements", "Hosts", "Resources", "VersionOverrides"]
HOST_ORDER = ["Runtimes", "DesktopFormFactor", "MobileFormFactor"]
DESKTOP_ORDER = ["SupportsSharedFolders", "FunctionFile", "ExtensionPoint"]


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def assert_order(element, order: list[str]) -> None:
    names = [local(child.tag) for child in element]
    positions = [order.index(name) for name in names]  # an unknown child fails here too
    assert positions == sorted(positions), f"{local(element.tag)}: {names}"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def rendered(app):
    from zegel.addin.manifest import render
    with app.app_context():
        return render("https://zegel.ziekenhuis.example/", send_mode="Block")


def test_the_manifest_follows_the_schema_order_and_defines_everything(rendered):
    root = ElementTree.fromstring(rendered.encode())
    assert local(root.tag) == "OfficeApp" and root.get(XSI_TYPE) == "MailApp"
    assert_order(root, OFFICEAPP_ORDER)
    outer = root.find(f"{V10}VersionOverrides")
    inner = outer.find(f"{V11}VersionOverrides")
    assert outer.get(XSI_TYPE) == "VersionOverridesV1_0" and inner.get(XSI_TYPE) == "VersionOverridesV1_1"
    assert_order(outer, VERSIONOVERRIDES_ORDER)
    assert_order(inner, VERSIONOVERRIDES_ORDER)
    host = inner.find(f"{V11}Hosts/{V11}Host")
    assert_order(host, HOST_ORDER)
    desktop = host.find(f"{V11}DesktopFormFactor")
    assert_order(desktop, DESKTOP_ORDER)
    assert desktop.findtext(f"{V11}SupportsSharedFolders") == "true"
    points = {p.get(XSI_TYPE): p for p in desktop.findall(f"{V11}ExtensionPoint")}
    assert set(points) == {"MessageComposeCommandSurface", "MessageReadCommandSurface", "LaunchEvent"}
    events = {e.get("Type"): e for e in points["LaunchEvent"].iter(f"{V11}LaunchEvent")}
    assert set(events) == {"OnNewMessageCompose", "OnMessageRecipientsChanged", "OnMessageAttachmentsChanged",
                           "OnMessageSend"}
    assert events["OnMessageSend"].get("SendMode") == "Block"
    assert inner.find(f"{V11}Requirements/{BT}Sets").get("DefaultMinVersion") == "1.12"

    # Every resid points at a resource, and every resource is used.
    resources = inner.find(f"{V11}Resources")
    defined = {r.get("id"): r for r in resources.iter() if r.get("id")}
    used = {e.get("resid") for e in inner.iter() if e.get("resid")}
    assert used == set(defined), (used ^ set(defined))
    for string in resources.iter(f"{BT}String"):
        limit = 125 if string in list(resources.find(f"{BT}ShortStrings")) else 250
        values = [string.get("DefaultValue")] + [o.get("Value") for o in string.findall(f"{BT}Override")]
        assert all(0 < len(v) <= limit for v in values), string.get("id")
        assert [o.get("Locale") for o in string.findall(f"{BT}Override")] == ["en-US"]  # Dutch default, English too
    assert len(root.find(f"{OFFICE}DisplayName").get("DefaultValue")) <= 125
    assert len(root.find(f"{OFFICE}Description").get("DefaultValue")) <= 250


def test_every_url_is_https_on_the_configured_host_and_the_icons_exist(rendered):
    root = ElementTree.fromstring(rendered.encode())
    urls = [e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "").startswith("http")]
    urls += [e.text for e in root.iter(f"{OFFICE}AppDomain")]
    assert len(urls) > 8
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc == "zegel.ziekenhuis.example", url
    sizes = {}
    for url in urls:
        path = urlsplit(url).path
        if path.startswith("/static/addin/icon-"):
            width, height = png_size(STATIC / path.removeprefix("/static/"))
            sizes[path] = width
            assert width == height == int(path.rsplit("-", 1)[1].removesuffix(".png"))
    assert sorted(sizes.values()) == [16, 32, 64, 80, 128]


def test_the_repository_manifest_is_the_rendering_for_the_development_url(app):
    from zegel.addin.manifest import DEV_URL, render
    with app.app_context():
        assert (ROOT / "manifest.xml").read_text() == render(DEV_URL)


def test_the_server_offers_its_own_manifest(make_config, keyring_file, client):
    from zegel.app import create_app
    from zegel.crypto.keyring import Keyring
    assert client.get("/addin/manifest.xml").status_code == 409  # the test server runs on http
    app = create_app(make_config(ZEGEL_PUBLIC_URL="https://mail.gemeente.example", ZEGEL_ADDIN_SEND_MODE="block"),
                     Keyring.load(keyring_file))
    resp = app.test_client().get("/addin/manifest.xml")
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert "https://mail.gemeente.example/addin/taskpane.html" in resp.get_data(as_text=True)
    assert 'SendMode="Block"' in resp.get_data(as_text=True)


def test_microsofts_manifest_tool_reads_it():
    """`office-addin-manifest info` (npm, installed by `make test`) parses the manifest as Office does."""
    import subprocess
    tool = ROOT / "node_modules" / ".bin" / "office-addin-manifest"
    if not tool.exists():
        pytest.skip("run `npm ci` (make test does) for office-addin-manifest")
    out = subprocess.run([str(tool), "info", str(ROOT / "manifest.xml")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Id: 5c1f0d43-7a2e-4b8e-9f3d-2e6a1b7c9d40" in out.stdout and "Type: MailApp" in out.stdout
    assert "Default Locale: nl-NL" in out.stdout
