"""Configuration from ZEGEL_* variables: defaults, and a clear error for every bad value."""
from __future__ import annotations

import pytest

from zegel.config import Config, ConfigError


def test_defaults_run_everything_on_one_machine(tmp_path):
    config = Config.from_env({"ZEGEL_VAR_DIR": str(tmp_path), "ZEGEL_DEV_OUTBOX": "1"})
    assert config.database_url == f"sqlite:///{tmp_path / 'zegel.db'}"
    assert config.keyring_path == tmp_path / "keyring.json"
    assert config.public_url == "http://127.0.0.1:5000" and not config.https
    assert config.sms_provider == "dev" and config.ratelimit_storage_url == "memory://"
    assert config.default_language == "nl"


def test_blobs_default_to_a_folder_in_the_var_dir(tmp_path):
    config = Config.from_env({"ZEGEL_VAR_DIR": str(tmp_path / "my var"), "ZEGEL_DEV_OUTBOX": "1"})
    assert config.storage_kind == "file" and config.blob_dir == tmp_path / "my var" / "blobs"
    assert config.storage_url == (tmp_path / "my var" / "blobs").as_uri()
    assert config.s3_endpoint_url is None and config.s3_region == "eu-west-1"


@pytest.mark.parametrize("url,path", [
    ("file:///srv/zegel/blobs", "/srv/zegel/blobs"),
    ("file://localhost/srv/zegel/blobs/", "/srv/zegel/blobs"),
    ("file:///srv/zegel%20data/blobs", "/srv/zegel data/blobs"),
])
def test_file_storage_urls(url, path):
    config = Config.from_env({"ZEGEL_DEV_OUTBOX": "1", "ZEGEL_STORAGE_URL": url})
    assert config.storage_kind == "file" and str(config.blob_dir) == path


@pytest.mark.parametrize("url,bucket,prefix", [
    ("s3://zegel-blobs", "zegel-blobs", ""),
    ("s3://zegel-blobs/", "zegel-blobs", ""),
    ("s3://zegel.blobs.example/prod/attachments/", "zegel.blobs.example", "prod/attachments/"),
    ("s3://zegel-blobs/Zegel_2026", "zegel-blobs", "Zegel_2026/"),
    ("S3://zegel-blobs/p", "zegel-blobs", "p/"),
])
def test_s3_storage_urls(url, bucket, prefix):
    config = Config.from_env({"ZEGEL_DEV_OUTBOX": "1", "ZEGEL_STORAGE_URL": url,
                              "ZEGEL_S3_ENDPOINT_URL": "https://minio.internal:9000/", "ZEGEL_S3_REGION": "garage"})
    assert config.storage_kind == "s3" and config.s3_bucket_and_prefix == (bucket, prefix)
    assert config.s3_endpoint_url == "https://minio.internal:9000" and config.s3_region == "garage"


def test_postgresql_urls_use_psycopg():
    config = Config.from_env({"ZEGEL_DEV_OUTBOX": "1", "ZEGEL_DATABASE_URL": "postgresql://u@db/zegel"})
    assert config.database_url == "postgresql+psycopg://u@db/zegel"


@pytest.mark.parametrize("env,names", [
    ({"ZEGEL_DATABASE_URL": "mysql://x/y"}, "ZEGEL_DATABASE_URL"),
    ({"ZEGEL_PUBLIC_URL": "zegel.example.nl"}, "ZEGEL_PUBLIC_URL"),
    ({"ZEGEL_PUBLIC_URL": "https://zegel.example.nl/app"}, "ZEGEL_PUBLIC_URL"),
    ({"ZEGEL_SECRET_KEY": "short"}, "ZEGEL_SECRET_KEY"),
    ({"ZEGEL_DEV_OUTBOX": "0"}, "ZEGEL_SMS_PROVIDER=dev"),
    ({"ZEGEL_SMS_PROVIDER": "carrier-pigeon"}, "ZEGEL_SMS_PROVIDER"),
    ({"ZEGEL_SMS_PROVIDER": "cm"}, "ZEGEL_SMS_CM_PRODUCT_TOKEN"),
    ({"ZEGEL_SMS_SENDER": "Ziekenhuis Oost-Nederland"}, "ZEGEL_SMS_SENDER"),
    ({"ZEGEL_RATELIMIT_STORAGE_URL": "memcached://x"}, "ZEGEL_RATELIMIT_STORAGE_URL"),
    ({"ZEGEL_WORKER_POLL_SECONDS": "0"}, "ZEGEL_WORKER_POLL_SECONDS"),
    ({"ZEGEL_WORKER_POLL_SECONDS": "soon"}, "ZEGEL_WORKER_POLL_SECONDS"),
    ({"ZEGEL_UPLOAD_EXPIRY_HOURS": "0"}, "ZEGEL_UPLOAD_EXPIRY_HOURS"),
    ({"ZEGEL_UPLOAD_EXPIRY_HOURS": "721"}, "ZEGEL_UPLOAD_EXPIRY_HOURS"),
    ({"ZEGEL_ADDIN_SEND_MODE": "PromptUser"}, "ZEGEL_ADDIN_SEND_MODE"),
    ({"ZEGEL_ADDIN_ID": "not-a-guid"}, "ZEGEL_ADDIN_ID"),
    ({"ZEGEL_DEFAULT_LANGUAGE": "de"}, "ZEGEL_DEFAULT_LANGUAGE"),
    ({"ZEGEL_LOG_LEVEL": "LOUD"}, "ZEGEL_LOG_LEVEL"),
    ({"ZEGEL_DEV_OUTBOX": "0", "ZEGEL_SMS_PROVIDER": "cm", "ZEGEL_SMS_CM_PRODUCT_TOKEN": "t"}, "ZEGEL_SMTP_HOST"),
    ({"ZEGEL_SMTP_HOST": "mail", "ZEGEL_SMTP_SECURITY": "ssl3"}, "ZEGEL_SMTP_SECURITY"),
    ({"ZEGEL_SMTP_HOST": "mail", "ZEGEL_SMTP_PORT": "99999"}, "ZEGEL_SMTP_PORT"),
    ({"ZEGEL_SMTP_HOST": "mail", "ZEGEL_SMTP_USERNAME": "zegel"}, "ZEGEL_SMTP_PASSWORD"),
    ({"ZEGEL_MAIL_FROM": "Zegel <no address>"}, "ZEGEL_MAIL_FROM"),
    ({"ZEGEL_STORAGE_URL": "/srv/zegel/blobs"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "file://srv/zegel/blobs"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "file:relative/blobs"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "file:///"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "ftp://files.example.nl/blobs"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "https://s3.amazonaws.com/zegel"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3:///prefix"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://Zegel_Blobs"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://ab"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel..blobs"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://AKIA:secret@zegel-blobs/p"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs:9000/p"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs/a/../b"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs/a//b"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs/a b"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs/p?region=eu"}, "ZEGEL_STORAGE_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs", "ZEGEL_S3_ENDPOINT_URL": "minio:9000"}, "ZEGEL_S3_ENDPOINT_URL"),
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs", "ZEGEL_S3_ENDPOINT_URL": "http://minio:99999"},
     "ZEGEL_S3_ENDPOINT_URL"),
    ({"ZEGEL_S3_ENDPOINT_URL": "http://minio:9000"}, "ZEGEL_S3_ENDPOINT_URL"),  # with file storage
    ({"ZEGEL_STORAGE_URL": "s3://zegel-blobs", "ZEGEL_S3_REGION": "eu west 1"}, "ZEGEL_S3_REGION"),
])
def test_bad_values_name_the_variable(env, names):
    with pytest.raises(ConfigError) as err:
        Config.from_env({"ZEGEL_DEV_OUTBOX": "1", **env})
    assert names in str(err.value)


def test_https_public_url_makes_cookies_secure_and_sends_hsts(make_config, keyring_file, anna):
    from zegel.app import create_app
    from zegel.crypto.keyring import Keyring
    app = create_app(make_config(ZEGEL_PUBLIC_URL="https://zegel.example.nl"), Keyring.load(keyring_file))
    resp = app.test_client().get("/login", base_url="https://zegel.example.nl")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in resp.headers["Set-Cookie"]
