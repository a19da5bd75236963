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
