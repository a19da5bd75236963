"""The ``zegel`` command: init, create-org, create-user, demo, serve, worker, audit verify."""
from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from pathlib import Path

import click

from zegel.config import Config, ConfigError
from zegel.crypto.keyring import KeyringError

DEMO_PASSWORD = "zegel-demo-2026"
DEMO_USERS = [
    ("admin@demo.test", "Demo Beheerder", "+31612345670", "admin"),
    ("anna@demo.test", "Anna de Vries", "+31612345671", "user"),
    ("bram@demo.test", "Bram Jansen", "+31612345672", "user"),
]


def _config() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


def _app(config: Config | None = None):
    from zegel.app import create_app
    try:
        return create_app(config or _config())
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main():
    """Zegel: secure e-mail for Outlook."""


@main.command()
@click.option("--new-keyring", is_flag=True,
              help="Create a key ring even though the database already holds data (its content becomes unreadable).")
def init(new_keyring):
    """Create the key ring, storage folders and database tables (safe to run again)."""
    from zegel.crypto.keyring import Keyring
    from zegel.migrate import current_revision, upgrade

    config = _config()
    config.var_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config.var_dir, 0o700)
    if config.storage_kind == "file":
        config.blob_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    else:
        click.echo(f"attachments are stored in {config.storage_url} (create the bucket yourself)")
    if not config.keyring_path.exists() and current_revision(config.database_url) and not new_keyring:
        # A new key ring beside an existing database would make everything encrypted in it unreadable.
        raise click.ClickException(
            f"the database is already set up but the key ring {config.keyring_path} is missing: restore it "
            "from your backup (or, to start over without the old content, run `zegel init --new-keyring`)")
    if Keyring.create(config.keyring_path):
        click.echo(f"created key ring {config.keyring_path} (mode 0600) - back it up: without it nothing can be read")
    else:
        Keyring.load(config.keyring_path)  # fail loudly on a damaged key ring
        click.echo(f"key ring {config.keyring_path} exists")
    upgrade(config.database_url)
    click.echo("database is up to date")


def _run(fn):
    """Run ``fn(session)`` inside an app context; AppErrors become clear CLI errors."""
    from zegel.errors import AppError
    from zegel.extensions import db

    app = _app()
    with app.app_context():
        try:
            return fn(db.session)
        except AppError as exc:
            raise click.ClickException(str(exc.message)) from None


@main.command("create-org")
@click.argument("name")
def create_org(name):
    """Create an organisation."""
    from zegel.accounts.service import create_organisation

    org = _run(lambda s: create_organisation(s, name))
    click.echo(f"created organisation {org.name!r} ({org.id})")


@main.command("org-settings")
@click.argument("name")
@click.option("--verification", type=click.Choice(["none", "sms", "password", "account"]),
              help="Verification pre-selected for recipients the sender has no default for.")
@click.option("--expiry-days", type=click.IntRange(0, 3650), help="Messages expire after this many days (0: never).")
def org_settings(name, verification, expiry_days):
    """Show or change an organisation's message defaults."""
    from sqlalchemy import select

    from zegel.accounts.models import Organisation
    from zegel.audit.service import record

    def work(session):
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            raise click.ClickException(f"no organisation named {name!r}")
        changes = {}
        if verification is not None:
            org.default_verification = changes["verification"] = verification
        if expiry_days is not None:
            org.default_expiry_days = changes["expiry_days"] = expiry_days
        if changes:
            record(session, "organisation.settings", organisation_id=org.id, subject=org.name, **changes)
            session.commit()
        return org

    org = _run(work)
    click.echo(f"{org.name}: verification={org.default_verification} expiry_days={org.default_expiry_days}")


@main.command("create-user")
@click.option("--org", "org_name", required=True, help="Name of the organisation.")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", required=True)
@click.option("--phone", required=True, help="Mobile number for login codes, e.g. 0612345678 or +32470123456.")
@click.option("--role", type=click.Choice(["user", "admin"]), default="user", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
def create_user(org_name, name, email, phone, role, password):
    """Create a user who logs in with a password and SMS codes."""
    from sqlalchemy import select

    from zegel.accounts.models import Organisation
    from zegel.accounts.service import create_user as create

    def work(session):
        org = session.scalar(select(Organisation).where(Organisation.name == org_name))
        if org is None:
            raise click.ClickException(f"no organisation named {org_name!r}; create it with `zegel create-org`")
        return create(session, org, name=name, email=email, phone=phone, password=password, role=role)

    user = _run(work)
    click.echo(f"created {user.role} {user.email} ({user.phone})")


@main.command()
def demo():
    """Create the organisation "Demo" with an admin and two users (safe to run again)."""
    from sqlalchemy import select

    from zegel.accounts.models import Organisation
    from zegel.accounts.service import create_organisation, find_user_by_email
    from zegel.accounts.service import create_user as create

    def work(session):
        org = session.scalar(select(Organisation).where(Organisation.name == "Demo")) \
            or create_organisation(session, "Demo")
        for email, name, phone, role in DEMO_USERS:
            if find_user_by_email(session, email) is None:
                create(session, org, name=name, email=email, phone=phone, password=DEMO_PASSWORD, role=role)

    _run(work)
    click.echo(f"Demo organisation ready. Log in with any of these (password {DEMO_PASSWORD}):")
    for email, name, phone, role in DEMO_USERS:
        click.echo(f"  {email:<18} {role:<5}  {name} ({phone})")


DEV_HTTPS_PORT = 5443


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="[default: 5443 with --https or --cert, otherwise $PORT or 5000]")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", type=int, default=4, show_default=True, help="Threads per worker process.")
@click.option("--dev", is_flag=True, help="Flask's development server with the reloader.")
@click.option("--no-worker", is_flag=True, help="Do not deliver the outbox here (run `zegel worker` instead).")
@click.option("--https", "dev_https", is_flag=True,
              help="Serve https://localhost:<port> with a development certificate from <var>/dev-cert/ "
                   "(made on first use, signed by a local CA you trust once), so Outlook can load the add-in "
                   "from this machine.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve https with this certificate (PEM, followed by its chain) instead; needs --key.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The private key (PEM, without a passphrase) of --cert.")
def serve(host, port, workers, threads, dev, no_worker, dev_https, cert, key):
    """Serve the web app and API (gunicorn), delivering the outbox in a thread."""
    config = _config()
    if (cert is None) != (key is None):
        raise click.ClickException("--cert and --key: give both, or neither")
    if dev_https and cert:
        raise click.ClickException("--https makes its own development certificate: leave out --cert and --key, "
                                   "or --https")
    if port is None:
        port = DEV_HTTPS_PORT if (dev_https or cert) else _port_from_env()
    tls = None
    if dev_https:
        tls = _dev_certificate(config)
        # The certificate is for localhost only; links in e-mail and the manifest must use that name.
        if config.https and config.public_url != f"https://localhost:{port}":
            click.echo(f"note: ZEGEL_PUBLIC_URL ({config.public_url}) is replaced by https://localhost:{port} "
                       "for this run")
        config = dataclasses.replace(config, public_url=f"https://localhost:{port}")
    elif cert:
        tls = _check_certificate(cert, key)
        if not config.https:
            config = dataclasses.replace(config, public_url=f"https://localhost:{port}")
            click.echo(f"note: ZEGEL_PUBLIC_URL is not https; using {config.public_url} for this run "
                       "(set ZEGEL_PUBLIC_URL to the name in your certificate)")
    run_worker = config.worker_in_process and not no_worker
    scheme = "https" if tls else "http"
    if dev:
        app = _app(config)
        if dev_https:
            from zegel.server import without_hsts
            app.wsgi_app = without_hsts(app.wsgi_app)
        if run_worker and os.environ.get("WERKZEUG_RUN_MAIN") == "true":
            from zegel.delivery.worker import start_thread
            start_thread(app)
        app.run(host=host, port=port, debug=True, use_reloader=True,
                ssl_context=tuple(str(p) for p in tls) if tls else None)
        return
    _app(config)  # fail here, with a clear message, rather than in every gunicorn worker
    from zegel.server import ZegelGunicorn
    options = {"bind": f"{host}:{port}", "workers": workers, "threads": threads}
    if tls:
        options.update(certfile=str(tls[0]), keyfile=str(tls[1]))
        click.echo(f"Outlook add-in manifest: {config.public_url}/addin/manifest.xml")
    click.echo(f"Zegel is listening on {scheme}://{host}:{port}  (Ctrl+C stops it)")
    ZegelGunicorn(config, options, run_worker=run_worker, hsts=not dev_https).run()


def _port_from_env() -> int:
    raw = os.environ.get("PORT") or "5000"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise click.ClickException(f"PORT: expected a port number, got {raw!r}")
    return int(raw)


def _dev_certificate(config: Config) -> tuple[Path, Path]:
    """Make or reuse the development CA and localhost certificate, and say how to trust the CA."""
    from zegel import devcert

    try:
        made = devcert.ensure(config.var_dir / "dev-cert")
    except devcert.DevCertError as exc:
        raise click.ClickException(str(exc)) from None
    if made.ca_created:
        click.echo(f"Created a development CA: {made.ca_cert}")
        click.echo("Trust it once on every machine where Outlook or a browser opens https://localhost "
                   "(then restart Outlook):")
    else:
        click.echo(f"Development CA: {made.ca_cert} (valid until {made.ca_not_after:%Y-%m-%d}). "
                   "Not trusted yet? On the machine where Outlook runs:")
    for line in devcert.trust_instructions(made.ca_cert):
        click.echo(line)
    state = "new" if made.server_created else "reused"
    click.echo(f"Server certificate ({state}, localhost, 127.0.0.1, ::1; valid until "
               f"{made.server_not_after:%Y-%m-%d}): {made.cert}")
    return made.cert, made.key


def _check_certificate(cert: Path, key: Path) -> tuple[Path, Path]:
    """Refuse a certificate and key gunicorn cannot use, here, rather than in every worker that starts."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certs = x509.load_pem_x509_certificates(cert.read_bytes())
    except ValueError:
        raise click.ClickException(f"--cert {cert}: not a PEM certificate") from None
    try:
        serialization.load_pem_private_key(key.read_bytes(), password=None)
    except TypeError:
        raise click.ClickException(f"--key {key}: the key is protected with a passphrase, which the server "
                                   "cannot ask for; remove it (openssl pkey -in KEY -out KEY.plain)") from None
    except ValueError:
        raise click.ClickException(f"--key {key}: not a PEM private key") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert), str(key), password=b"")
    except ssl.SSLError:
        raise click.ClickException(f"--key {key} does not belong to the certificate in --cert {cert}") from None
    if certs[0].not_valid_after_utc < dt.datetime.now(dt.UTC):
        click.echo(f"warning: the certificate in {cert} expired on {certs[0].not_valid_after_utc:%Y-%m-%d}; "
                   "Outlook and browsers will refuse it", err=True)
    return cert, key


@main.command()
def worker():
    """Deliver the outbox (SMS, e-mail) until stopped; run as many as you like."""
    from zegel.delivery.worker import Worker

    config = _config()
    app = _app(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("delivery worker running (Ctrl+C stops it)")
    Worker(app).run_forever(stop, config.worker_poll_seconds)


@main.command()
def cleanup():
    """Remove expired uploads, the files of expired messages and blobs left by deleted messages
    (the worker also does this every hour)."""
    from zegel.housekeeping import clean_up

    done = _run(clean_up)
    click.echo(f"removed {done['uploads']} expired uploads, {done['attachments']} files of expired messages, "
               f"{done['blobs']} queued blobs")


@main.group()
def keys():
    """The key ring: key-encryption keys (KEKs) and their rotation."""


def _load_keyring():
    from zegel.crypto.keyring import Keyring
    try:
        return Keyring.load(_config().keyring_path)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None


@keys.command("list")
def keys_list():
    """Show the KEKs and how many data keys each one wraps."""
    from zegel.messages.keys import usage

    ring = _load_keyring()
    counts = _run(usage)
    for kek in sorted(ring.keks.values(), key=lambda k: k.id):
        active = "active" if kek.id == ring.active_kek_id else "      "
        click.echo(f"KEK {kek.id}  {active}  created {kek.created_at}  wraps {counts.get(kek.id, 0)} data keys")
    for kek_id in sorted(set(counts) - set(ring.keks)):
        click.echo(f"KEK {kek_id}  MISSING  wraps {counts[kek_id]} data keys that cannot be opened", err=True)


@keys.command("rotate")
def keys_rotate():
    """Add a new KEK; new messages use it at once. Run `zegel keys rewrap` next."""
    from zegel.crypto.keyring import exclusive

    with exclusive(_config().keyring_path):
        ring = _load_keyring()
        kek = ring.rotate()
        ring.save(ring.path)
    click.echo(f"KEK {kek.id} is now active; back up {ring.path}, then run `zegel keys rewrap`")


@keys.command("rewrap")
def keys_rewrap():
    """Re-wrap every message key under the active KEK (content is not re-encrypted)."""
    from zegel.extensions import db
    from zegel.messages.keys import rewrap_all

    app = _app()
    with app.app_context():
        count = rewrap_all(db.session, app.extensions["zegel.keyring"])
    click.echo(f"re-wrapped {count} data keys under KEK {app.extensions['zegel.keyring'].active_kek_id}")


@keys.command("retire")
@click.argument("kek_id", type=int)
def keys_retire(kek_id):
    """Remove an old KEK from the key ring once nothing is wrapped under it."""
    from zegel.crypto.keyring import exclusive
    from zegel.messages.keys import usage

    with exclusive(_config().keyring_path):
        ring = _load_keyring()
        in_use = _run(usage).get(kek_id, 0)
        if in_use:
            raise click.ClickException(f"KEK {kek_id} still wraps {in_use} data keys; run `zegel keys rewrap` "
                                       "first")
        try:
            ring.retire(kek_id)
        except KeyringError as exc:
            raise click.ClickException(str(exc)) from None
        ring.save(ring.path)
    click.echo(f"KEK {kek_id} retired")


@main.group()
def audit():
    """The audit log."""


@audit.command("verify")
def audit_verify():
    """Check that no audit row was changed, removed or inserted."""
    from zegel.audit.service import verify_chain

    report = _run(verify_chain)
    if report.ok:
        click.echo(f"audit log intact: {report.checked} events")
        return
    click.echo(f"audit log BROKEN at event {report.broken_at}: {report.reason} "
               f"({report.checked} events before it are intact)", err=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
