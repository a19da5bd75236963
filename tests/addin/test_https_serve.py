"""`zegel serve --https`: a development CA and localhost certificate in <var>/dev-cert/ (reused while sound,
renewed before they expire, keys 0600), and a real gunicorn serving the add-in manifest over TLS that a
client trusting only that CA accepts; `--cert/--key` serve your own certificate instead."""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from zegel import devcert

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_ca_and_a_localhost_certificate_signed_by_it(tmp_path):
    made = devcert.ensure(tmp_path / "dev-cert", now=NOW)
    assert made.ca_created and made.server_created
    assert mode(tmp_path / "dev-cert") == 0o700
    assert mode(made.ca_key) == 0o600 and mode(made.key) == 0o600
    assert mode(made.ca_cert) == 0o644 and mode(made.cert) == 0o644

    ca, server = load(made.ca_cert), load(made.cert)
    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert ExtendedKeyUsageOID.SERVER_AUTH in server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    # A leaked CA key can only vouch for this machine's loopback names, not for real sites.
    permitted = ca.extensions.get_extension_for_class(x509.NameConstraints).value.permitted_subtrees
    assert x509.DNSName("localhost") in permitted
    # Apple's clients refuse server certificates valid for more than 825 days.
    assert server.not_valid_after_utc - server.not_valid_before_utc < dt.timedelta(days=825)
    assert server.not_valid_before_utc < NOW  # a client whose clock runs a little behind accepts it too


def test_it_is_reused_and_renewed_before_it_expires(tmp_path):
    folder = tmp_path / "dev-cert"
    first = devcert.ensure(folder, now=NOW)
    ca_bytes, cert_bytes = first.ca_cert.read_bytes(), first.cert.read_bytes()

    again = devcert.ensure(folder, now=NOW + dt.timedelta(days=30))
    assert not again.ca_created and not again.server_created
    assert first.ca_cert.read_bytes() == ca_bytes and first.cert.read_bytes() == cert_bytes

    # A week before the server certificate ends: a new one under the same CA, so nothing to trust again.
    renewed = devcert.ensure(folder, now=first.server_not_after - dt.timedelta(days=7))
    assert not renewed.ca_created and renewed.server_created
    assert renewed.ca_cert.read_bytes() == ca_bytes and renewed.cert.read_bytes() != cert_bytes
    load(renewed.cert).verify_directly_issued_by(load(renewed.ca_cert))

    # When the CA itself runs out, both are made again (and the developer is told to trust the new CA).
    later = devcert.ensure(folder, now=first.ca_not_after + dt.timedelta(days=1))
    assert later.ca_created and later.server_created
    assert later.ca_cert.read_bytes() != ca_bytes


@pytest.mark.parametrize("damage", ["garbage key", "swapped keys", "missing certificate", "foreign certificate"])
def test_damaged_files_are_replaced(tmp_path, damage):
    folder = tmp_path / "dev-cert"
    first = devcert.ensure(folder, now=NOW)
    ca_bytes = first.ca_cert.read_bytes()
    if damage == "garbage key":
        first.key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    elif damage == "swapped keys":
        first.key.write_bytes(first.ca_key.read_bytes())
    elif damage == "missing certificate":
        first.cert.unlink()
    else:  # a certificate for localhost that this CA did not sign
        other = devcert.ensure(tmp_path / "other", now=NOW)
        first.cert.write_bytes(other.cert.read_bytes())
        first.key.write_bytes(other.key.read_bytes())
    again = devcert.ensure(folder, now=NOW)
    assert again.server_created and not again.ca_created and again.ca_cert.read_bytes() == ca_bytes
    load(again.cert).verify_directly_issued_by(load(again.ca_cert))
    assert mode(again.key) == 0o600


def test_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path):
    blocker = tmp_path / "var"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(devcert.DevCertError, match="cannot write the development certificate"):
        devcert.ensure(blocker / "dev-cert", now=NOW)


# --- a real `zegel serve` -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    env = {**os.environ, "ZEGEL_VAR_DIR": str(tmp_path / "var"), "ZEGEL_DEV_OUTBOX": "1",
           "ZEGEL_DATABASE_URL": "", "ZEGEL_KEYRING_PATH": "", "ZEGEL_PUBLIC_URL": "",
           "ZEGEL_WORKER_IN_PROCESS": "0"}
    init = subprocess.run([sys.executable, "-m", "zegel.cli", "init"], env=env, capture_output=True, timeout=120)
    assert init.returncode == 0, init.stderr
    return env


class Serve:
    """`zegel serve ARGS` in its own process group, its output in a file."""

    def __init__(self, env: dict, args: list[str], out: Path):
        self.out = out
        with open(out, "wb") as f:
            self.proc = subprocess.Popen([sys.executable, "-m", "zegel.cli", "serve", "--workers", "1",
                                          "--threads", "2", *args], env=env, start_new_session=True,
                                         stdout=f, stderr=subprocess.STDOUT)

    def wait_until_up(self, url: str, verify) -> requests.Response:
        """The first answer once the port takes connections (TLS errors are the test's to see)."""
        port = int(url.split(":")[2].split("/")[0])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"zegel serve stopped:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                time.sleep(0.2)
                continue
            return requests.get(url, verify=verify, timeout=10)
        raise AssertionError(f"zegel serve did not answer:\n{self.output()}")

    def output(self) -> str:
        return self.out.read_text()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def serve(env, tmp_path):
    started = []

    def start(*args: str) -> Serve:
        server = Serve(env, list(args), tmp_path / f"serve-{len(started)}.log")
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def test_serve_https_with_the_development_certificate(serve, tmp_path):
    port = free_port()
    server = serve("--https", "--port", str(port))
    ca = tmp_path / "var" / "dev-cert" / "ca.crt"
    resp = server.wait_until_up(f"https://localhost:{port}/addin/manifest.xml", verify=str(ca))
    assert resp.status_code == 200, resp.text
    assert f"https://localhost:{port}/addin/taskpane.html" in resp.text
    assert f'<AppDomain>https://localhost:{port}</AppDomain>' in resp.text
    # HSTS for "localhost" would make the developer's browser refuse http://localhost for a year.
    assert "Strict-Transport-Security" not in resp.headers
    assert requests.get(f"https://127.0.0.1:{port}/login", verify=str(ca), timeout=5).status_code == 200

    # Only because we trust the development CA: the system's CAs do not vouch for it.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://localhost:{port}/login", timeout=5)

    out = server.output()
    assert f"Created a development CA: {ca}" in out
    assert f'certutil -user -addstore Root "{ca}"' in out and "security add-trusted-cert" in out
    assert f"Outlook add-in manifest: https://localhost:{port}/addin/manifest.xml" in out
    assert mode(tmp_path / "var" / "dev-cert" / "localhost.key") == 0o600
    server.stop()

    # The next run keeps the CA the developer trusted.
    before = ca.read_bytes()
    port = free_port()
    again = serve("--https", "--port", str(port))
    assert again.wait_until_up(f"https://localhost:{port}/addin/manifest.xml", verify=str(ca)).status_code == 200
    assert ca.read_bytes() == before
    assert "Created a development CA" not in again.output() and f"Development CA: {ca}" in again.output()


def own_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, as an administrator might bring one."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "own.crt", folder / "own.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_serve_with_your_own_certificate(serve, env, tmp_path):
    cert, key = own_certificate(tmp_path)
    port = free_port()
    env["ZEGEL_PUBLIC_URL"] = f"https://localhost:{port}"
    server = serve("--cert", str(cert), "--key", str(key), "--port", str(port))
    resp = server.wait_until_up(f"https://localhost:{port}/addin/manifest.xml", verify=str(cert))
    assert resp.status_code == 200 and f"https://localhost:{port}/addin/commands.html" in resp.text
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")  # a real certificate: as in production
    assert not (tmp_path / "var" / "dev-cert").exists()
