"""Configuration read from ``ZEGEL_*`` environment variables.

Every setting is documented in docs/configuration.md; bad values stop the
process at start-up with a message that names the variable.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigError(ValueError):
    """A setting has a value Zegel cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
SMS_PROVIDERS = ("dev", "cm")
LANGUAGES = ("nl", "en")
DEFAULT_S3_REGION = "eu-west-1"
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_S3_PREFIX = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}: expected 1 or 0 (true/false), got {raw!r}")


def _addin_id(env: dict) -> str:
    import uuid
    raw = (env.get("ZEGEL_ADDIN_ID") or "").strip()
    if not raw:
        return "5c1f0d43-7a2e-4b8e-9f3d-2e6a1b7c9d40"
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ConfigError("ZEGEL_ADDIN_ID must be a GUID, such as 5c1f0d43-7a2e-4b8e-9f3d-2e6a1b7c9d40") from None


def _addin_send_mode(env: dict) -> str:
    raw = (env.get("ZEGEL_ADDIN_SEND_MODE") or "SoftBlock").strip()
    modes = {"softblock": "SoftBlock", "block": "Block"}
    if raw.lower() not in modes:
        raise ConfigError("ZEGEL_ADDIN_SEND_MODE must be SoftBlock or Block")
    return modes[raw.lower()]


def _int(env: dict, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}: must be between {minimum} and {maximum}, got {value}")
    return value


def _choice(env: dict, name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, default).strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
    return value


def _storage_url(env: dict, var_dir: Path) -> str:
    url = (env.get("ZEGEL_STORAGE_URL") or "").strip() or (var_dir / "blobs").as_uri()
    expected = f"ZEGEL_STORAGE_URL: expected file:///absolute/path or s3://bucket[/prefix], got {url!r}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(expected) from None
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ConfigError(expected)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/") or parts.path == "/":
            raise ConfigError(expected)
        return url
    if parts.scheme == "s3":
        if parts.username or parts.password or parts.port:
            raise ConfigError("ZEGEL_STORAGE_URL: an s3:// URL holds only the bucket and a prefix; credentials "
                              f"come from the AWS environment (AWS_ACCESS_KEY_ID, …), got {url!r}")
        if not _S3_BUCKET.fullmatch(parts.netloc) or ".." in parts.netloc:
            raise ConfigError(f"ZEGEL_STORAGE_URL: {parts.netloc!r} is not a valid S3 bucket name "
                              "(3-63 lowercase letters, digits, dots and hyphens)")
        prefix = parts.path.strip("/")
        if prefix and (not _S3_PREFIX.fullmatch(prefix) or any(p in (".", "..") for p in prefix.split("/"))):
            raise ConfigError(f"ZEGEL_STORAGE_URL: the prefix {prefix!r} may only hold letters, digits, '.', '_', "
                              "'-' and single '/' between parts")
        return url
    raise ConfigError(expected)


@dataclasses.dataclass(frozen=True)
class Config:
    var_dir: Path
    database_url: str
    keyring_path: Path
    secret_key: str | None
    public_url: str
    dev_outbox: bool
    default_language: str
    sms_provider: str
    sms_sender: str
    sms_cm_url: str
    sms_cm_product_token: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_security: str
    smtp_username: str | None
    smtp_password: str | None
    mail_from: str
    ratelimit_storage_url: str
    ratelimit_enabled: bool
    worker_in_process: bool
    worker_poll_seconds: int
    trusted_proxies: int
    log_level: str
    storage_url: str
    s3_endpoint_url: str | None
    s3_region: str
    upload_expiry_hours: int = 24
    addin_id: str = "5c1f0d43-7a2e-4b8e-9f3d-2e6a1b7c9d40"
    addin_send_mode: str = "SoftBlock"

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def storage_kind(self) -> str:
        """``file`` or ``s3``, from ``storage_url``."""
        return urlsplit(self.storage_url).scheme

    @property
    def blob_dir(self) -> Path:
        """The blob directory of a ``file://`` storage URL (``<var_dir>/blobs`` by default)."""
        if self.storage_kind != "file":
            raise ValueError(f"not a file:// storage URL: {self.storage_url}")
        return Path(unquote(urlsplit(self.storage_url).path))

    @property
    def s3_bucket_and_prefix(self) -> tuple[str, str]:
        """Bucket and key prefix (``""`` or ending in ``/``) of an ``s3://`` storage URL."""
        parts = urlsplit(self.storage_url)
        if parts.scheme != "s3":
            raise ValueError(f"not an s3:// storage URL: {self.storage_url}")
        prefix = parts.path.strip("/")
        return parts.netloc, f"{prefix}/" if prefix else ""

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> Config:
        """Build and validate a configuration; ``overrides`` win over ``env``."""
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("ZEGEL_VAR_DIR") or "var").resolve()
        database_url = env.get("ZEGEL_DATABASE_URL") or f"sqlite:///{var_dir / 'zegel.db'}"
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
            raise ConfigError(
                "ZEGEL_DATABASE_URL: expected sqlite:///path or postgresql://user@host/db, "
                f"got {database_url!r}"
            )
        database_url = re.sub(r"^postgresql://", "postgresql+psycopg://", database_url)

        public_url = (env.get("ZEGEL_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("",):
            raise ConfigError(
                f"ZEGEL_PUBLIC_URL: expected https://host[:port] without a path, got {public_url!r}"
            )

        secret_key = env.get("ZEGEL_SECRET_KEY") or None
        if secret_key is not None and len(secret_key) < 32:
            raise ConfigError("ZEGEL_SECRET_KEY: must be at least 32 characters (or leave it unset)")

        sms_provider = _choice(env, "ZEGEL_SMS_PROVIDER", "dev", SMS_PROVIDERS)
        dev_outbox = _bool(env, "ZEGEL_DEV_OUTBOX", False)
        if sms_provider == "dev" and not dev_outbox:
            raise ConfigError(
                "ZEGEL_SMS_PROVIDER=dev only writes codes to the dev outbox: set ZEGEL_DEV_OUTBOX=1 "
                "for development, or choose a real provider (ZEGEL_SMS_PROVIDER=cm)"
            )
        token = env.get("ZEGEL_SMS_CM_PRODUCT_TOKEN") or None
        if sms_provider == "cm" and not token:
            raise ConfigError("ZEGEL_SMS_CM_PRODUCT_TOKEN: required when ZEGEL_SMS_PROVIDER=cm")
        cm_url = env.get("ZEGEL_SMS_CM_URL") or "https://gw.messaging.cm.com/v1.0/message"
        if urlsplit(cm_url).scheme not in ("http", "https"):
            raise ConfigError(f"ZEGEL_SMS_CM_URL: expected an http(s) URL, got {cm_url!r}")
        sender = env.get("ZEGEL_SMS_SENDER") or "Zegel"
        # Alphanumeric sender IDs are limited to 11 characters by the GSM network.
        if not re.fullmatch(r"[A-Za-z0-9 ]{1,11}|\+?[0-9]{3,16}", sender):
            raise ConfigError(
                "ZEGEL_SMS_SENDER: use up to 11 letters/digits or a phone number, "
                f"got {sender!r}"
            )

        smtp_host = env.get("ZEGEL_SMTP_HOST") or None
        if smtp_host is None and not dev_outbox:
            raise ConfigError("ZEGEL_SMTP_HOST: required to send notification e-mail "
                              "(or set ZEGEL_DEV_OUTBOX=1 for development)")
        smtp_security = _choice(env, "ZEGEL_SMTP_SECURITY", "starttls", ("starttls", "tls", "none"))
        smtp_port = _int(env, "ZEGEL_SMTP_PORT", 465 if smtp_security == "tls" else 587, 1, 65535)
        if bool(env.get("ZEGEL_SMTP_USERNAME")) != bool(env.get("ZEGEL_SMTP_PASSWORD")):
            raise ConfigError("ZEGEL_SMTP_USERNAME and ZEGEL_SMTP_PASSWORD: give both or neither")
        mail_from = env.get("ZEGEL_MAIL_FROM") or f"Zegel <noreply@{urlsplit(public_url).hostname}>"
        from email.utils import parseaddr
        if "@" not in parseaddr(mail_from)[1] or re.search(r"[\r\n]", mail_from):
            raise ConfigError(f"ZEGEL_MAIL_FROM: expected an address like 'Zegel <noreply@example.nl>', got {mail_from!r}")

        ratelimit_url = env.get("ZEGEL_RATELIMIT_STORAGE_URL") or "memory://"
        if not re.match(r"^(memory|redis|rediss|redis\+unix)://", ratelimit_url):
            raise ConfigError(
                f"ZEGEL_RATELIMIT_STORAGE_URL: expected memory:// or redis://host:port, got {ratelimit_url!r}"
            )
        log_level = (env.get("ZEGEL_LOG_LEVEL") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"ZEGEL_LOG_LEVEL: must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

        storage_url = _storage_url(env, var_dir)
        s3_endpoint = (env.get("ZEGEL_S3_ENDPOINT_URL") or "").strip().rstrip("/") or None
        if s3_endpoint is not None:
            try:
                endpoint = urlsplit(s3_endpoint)
                endpoint.port  # noqa: B018 - raises on a bad port
            except ValueError:
                endpoint = None
            if endpoint is None or endpoint.scheme not in ("http", "https") or not endpoint.hostname \
                    or endpoint.query or endpoint.fragment or endpoint.username:
                raise ConfigError(f"ZEGEL_S3_ENDPOINT_URL: expected http(s)://host[:port], got {s3_endpoint!r}")
            if urlsplit(storage_url).scheme != "s3":
                raise ConfigError("ZEGEL_S3_ENDPOINT_URL: only used with ZEGEL_STORAGE_URL=s3://bucket[/prefix]")
        s3_region = (env.get("ZEGEL_S3_REGION") or "").strip() or DEFAULT_S3_REGION
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", s3_region):
            raise ConfigError(f"ZEGEL_S3_REGION: expected a region name like eu-west-1, got {s3_region!r}")

        values = dict(
            var_dir=var_dir,
            database_url=database_url,
            keyring_path=Path(env.get("ZEGEL_KEYRING_PATH") or var_dir / "keyring.json").resolve(),
            secret_key=secret_key,
            public_url=public_url,
            dev_outbox=dev_outbox,
            default_language=_choice(env, "ZEGEL_DEFAULT_LANGUAGE", "nl", LANGUAGES),
            sms_provider=sms_provider,
            sms_sender=sender,
            sms_cm_url=cm_url,
            sms_cm_product_token=token,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            smtp_security=smtp_security,
            smtp_username=env.get("ZEGEL_SMTP_USERNAME") or None,
            smtp_password=env.get("ZEGEL_SMTP_PASSWORD") or None,
            mail_from=mail_from,
            ratelimit_storage_url=ratelimit_url,
            ratelimit_enabled=_bool(env, "ZEGEL_RATELIMIT_ENABLED", True),
            worker_in_process=_bool(env, "ZEGEL_WORKER_IN_PROCESS", True),
            worker_poll_seconds=_int(env, "ZEGEL_WORKER_POLL_SECONDS", 2, 1, 300),
            trusted_proxies=_int(env, "ZEGEL_TRUSTED_PROXIES", 0, 0, 5),
            log_level=log_level,
            storage_url=storage_url,
            s3_endpoint_url=s3_endpoint,
            s3_region=s3_region,
            upload_expiry_hours=_int(env, "ZEGEL_UPLOAD_EXPIRY_HOURS", 24, 1, 720),
            addin_id=_addin_id(env),
            addin_send_mode=_addin_send_mode(env),
        )
        values.update(overrides)
        return cls(**values)
