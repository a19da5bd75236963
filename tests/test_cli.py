"""The `zegel` command as an administrator uses it."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

ZEGEL = [sys.executable, "-m", "zegel.cli"]


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "ZEGEL_VAR_DIR": str(tmp_path / "var"), "ZEGEL_DEV_OUTBOX": "1",
            "ZEGEL_DATABASE_URL": "", "ZEGEL_KEYRING_PATH": ""}


def zegel(env, *args, input=None):
    return subprocess.run([*ZEGEL, *args], env=env, capture_output=True, text=True, input=input, timeout=120)


def test_init_is_idempotent_and_keeps_the_key_ring(env, tmp_path):
    first = zegel(env, "init")
    assert first.returncode == 0, first.stderr
    keyring = tmp_path / "var" / "keyring.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    keys = json.loads(keyring.read_text())
    second = zegel(env, "init")
    assert second.returncode == 0 and "exists" in second.stdout
    assert json.loads(keyring.read_text()) == keys
    assert (tmp_path / "var" / "zegel.db").exists() and (tmp_path / "var" / "blobs").is_dir()


def test_init_makes_the_blob_folder_only_for_file_storage(env, tmp_path):
    elsewhere = tmp_path / "attachments" / "blobs"
    result = zegel({**env, "ZEGEL_STORAGE_URL": elsewhere.as_uri()}, "init")
    assert result.returncode == 0, result.stderr
    assert elsewhere.is_dir() and stat.S_IMODE(elsewhere.stat().st_mode) == 0o700
    assert not (tmp_path / "var" / "blobs").exists()
    result = zegel({**env, "ZEGEL_STORAGE_URL": "s3://zegel-blobs/prod"}, "init")
    assert result.returncode == 0, result.stderr
    assert "s3://zegel-blobs/prod" in result.stdout and not (tmp_path / "var" / "blobs").exists()


def test_demo_is_idempotent_and_lists_the_accounts(env):
    assert zegel(env, "init").returncode == 0
    first = zegel(env, "demo")
    second = zegel(env, "demo")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    for email in ("admin@demo.test", "anna@demo.test", "bram@demo.test"):
        assert email in second.stdout
    assert "zegel-demo-2026" in second.stdout


def test_create_org_and_user_with_clear_errors(env):
    assert zegel(env, "init").returncode == 0
    assert zegel(env, "create-org", "Ziekenhuis Oost").returncode == 0
    dup = zegel(env, "create-org", "ziekenhuis oost")
    assert dup.returncode == 1 and "already exists" in dup.stderr or "bestaat al" in dup.stderr

    args = ["create-user", "--org", "Ziekenhuis Oost", "--name", "Dr. Jansen", "--email", "jansen@zho.nl"]
    bad_phone = zegel(env, *args, "--phone", "0201234567", "--password", "lange wandeling in het bos")
    assert bad_phone.returncode == 1 and "mobiel" in bad_phone.stderr
    no_org = zegel(env, "create-user", "--org", "Nope", "--name", "X", "--email", "x@zho.nl", "--phone",
                   "0612345678", "--password", "lange wandeling in het bos")
    assert no_org.returncode == 1 and "no organisation named" in no_org.stderr

    ok = zegel(env, *args, "--phone", "06 12345678", "--role", "admin", input="lange wandeling in het bos\n" * 2)
    assert ok.returncode == 0, ok.stderr
    assert "admin jansen@zho.nl (+31612345678)" in ok.stdout
    again = zegel(env, *args, "--phone", "06 12345678", "--password", "lange wandeling in het bos")
    assert again.returncode == 1 and "bestaat al" in again.stderr


def test_commands_before_init_say_what_to_do(env):
    result = zegel(env, "demo")
    assert result.returncode == 1 and "zegel init" in result.stderr


@pytest.mark.parametrize("var,value,message", [
    ("ZEGEL_PUBLIC_URL", "ftp://x", "ZEGEL_PUBLIC_URL"),
    ("ZEGEL_DATABASE_URL", "mysql://x", "ZEGEL_DATABASE_URL"),
    ("ZEGEL_DEV_OUTBOX", "maybe", "ZEGEL_DEV_OUTBOX"),
])
def test_bad_configuration_stops_with_the_variable_named(env, var, value, message):
    result = zegel({**env, var: value}, "init")
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_init_refuses_to_replace_a_lost_key_ring(env, tmp_path):
    assert zegel(env, "init").returncode == 0
    keyring = tmp_path / "var" / "keyring.json"
    keyring.unlink()
    refused = zegel(env, "init")
    assert refused.returncode == 1 and "restore it from your backup" in refused.stderr
    assert not keyring.exists()
    assert zegel(env, "init", "--new-keyring").returncode == 0 and keyring.exists()


def test_org_settings(env):
    assert zegel(env, "init").returncode == 0
    assert zegel(env, "create-org", "Gemeente West").returncode == 0
    shown = zegel(env, "org-settings", "Gemeente West")
    assert shown.returncode == 0 and "verification=sms expiry_days=0" in shown.stdout
    changed = zegel(env, "org-settings", "Gemeente West", "--verification", "password", "--expiry-days", "30")
    assert changed.returncode == 0 and "verification=password expiry_days=30" in changed.stdout
    bad = zegel(env, "org-settings", "Gemeente West", "--verification", "carrier-pigeon")
    assert bad.returncode == 2 and "carrier-pigeon" in bad.stderr


def _key_and_certificate(folder, name="localhost"):
    """A key and a self-signed certificate for ``name``, written as PEM files."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return key, cert_path, key_path


def test_serve_refuses_certificates_it_cannot_use(env, tmp_path):
    """Each mistake is named before the server starts, instead of gunicorn workers failing one by one."""
    from cryptography.hazmat.primitives import serialization

    key, cert, key_file = _key_and_certificate(tmp_path)
    _other_key, _other_cert, other_key_file = _key_and_certificate(tmp_path, "other")
    locked = tmp_path / "locked.key"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"geheim")))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a certificate\n")

    cases = [
        (["--cert", str(cert)], "--cert and --key: give both"),
        (["--key", str(key_file)], "--cert and --key: give both"),
        (["--https", "--cert", str(cert), "--key", str(key_file)], "--https makes its own development certificate"),
        (["--cert", str(garbage), "--key", str(key_file)], "not a PEM certificate"),
        (["--cert", str(cert), "--key", str(garbage)], "not a PEM private key"),
        (["--cert", str(cert), "--key", str(locked)], "protected with a passphrase"),
        (["--cert", str(cert), "--key", str(other_key_file)], "does not belong to the certificate"),
    ]
    for args, message in cases:
        result = zegel(env, "serve", *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)

    missing = zegel(env, "serve", "--cert", str(tmp_path / "nope.crt"), "--key", str(key_file))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_port = zegel(env, "serve", "--https", "--port", "70000")
    assert bad_port.returncode == 2 and "70000" in bad_port.stderr
    bad_env_port = zegel({**env, "PORT": "http"}, "serve")
    assert bad_env_port.returncode == 1 and "PORT: expected a port number" in bad_env_port.stderr


def test_serve_https_says_when_it_cannot_write_its_certificate(env, tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "dev-cert").write_text("a file where the folder should be")
    result = zegel(env, "serve", "--https")
    assert result.returncode == 1 and "cannot write the development certificate" in result.stderr
    assert "Traceback" not in result.stderr
