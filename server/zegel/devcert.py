"""The development certificate of `zegel serve --https`: a small local CA and a certificate for
localhost signed by it, kept in ``<var>/dev-cert/``. Outlook loads add-ins only from trusted https
addresses, so a developer trusts this CA once and then sideloads the manifest of https://localhost."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from zegel.filelock import locked

HOSTNAMES = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")
CA_DAYS = 5 * 365
# Apple's clients refuse server certificates valid for more than 825 days, even under a local CA.
SERVER_DAYS = 397
# Renew a little before the end, so a server started today still has a valid certificate next week.
RENEW_BEFORE = dt.timedelta(days=14)
# Clocks of a virtual machine or a phone may run behind the developer's.
BACKDATE = dt.timedelta(hours=1)

CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "localhost.crt", "localhost.key"


class DevCertError(Exception):
    """The certificate folder cannot be used (for example: not writable)."""


@dataclasses.dataclass(frozen=True)
class DevCert:
    directory: Path
    ca_created: bool  # a new CA: the developer has to trust it (again)
    server_created: bool
    ca_not_after: dt.datetime
    server_not_after: dt.datetime

    @property
    def ca_cert(self) -> Path:
        return self.directory / CA_CERT

    @property
    def ca_key(self) -> Path:
        return self.directory / CA_KEY

    @property
    def cert(self) -> Path:
        return self.directory / SERVER_CERT

    @property
    def key(self) -> Path:
        return self.directory / SERVER_KEY


def ensure(directory: Path, now: dt.datetime | None = None) -> DevCert:
    """Reuse the CA and server certificate in ``directory`` while they are sound and not about to
    expire; otherwise make what is missing. A new server certificate under the old CA needs no new
    trust; a new CA does (``ca_created``)."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        with locked(directory / ".lock"):
            ca = _load_ca(directory, now)
            ca_created = ca is None
            if ca is None:
                ca = _make_ca(directory, now)
            ca_cert, ca_key = ca
            server = None if ca_created else _load_server(directory, ca_cert, now)
            server_created = server is None
            if server is None:
                server = _make_server(directory, ca_cert, ca_key, now)
    except OSError as exc:
        raise DevCertError(f"cannot write the development certificate in {directory}: {exc.strerror}") from None
    return DevCert(directory, ca_created, server_created, ca_cert.not_valid_after_utc, server.not_valid_after_utc)


def _fresh(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc


def _read(directory: Path, cert_name: str, key_name: str):
    try:
        cert = x509.load_pem_x509_certificate((directory / cert_name).read_bytes())
        key = serialization.load_pem_private_key((directory / key_name).read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
            != cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo):
        return None
    return cert, key


def _load_ca(directory: Path, now: dt.datetime):
    found = _read(directory, CA_CERT, CA_KEY)
    if found is None or not _fresh(found[0], now):
        return None
    try:
        is_ca = found[0].extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return None
    return found if is_ca else None


def _load_server(directory: Path, ca_cert: x509.Certificate, now: dt.datetime):
    found = _read(directory, SERVER_CERT, SERVER_KEY)
    if found is None or not _fresh(found[0], now):
        return None
    cert = found[0]
    try:
        cert.verify_directly_issued_by(ca_cert)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return None
    dns = set(names.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    return cert if dns >= set(HOSTNAMES) and ips >= set(ADDRESSES) else None


def _write_private(path: Path, data: bytes) -> None:
    """Write a key so that it is never readable by others, not even for a moment."""
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # left by a process that died while writing
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca(directory: Path, now: dt.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    # The host name and date make each developer's CA recognisable in a certificate store.
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zegel development"),
        x509.NameAttribute(NameOID.COMMON_NAME,
                           f"Zegel development CA {socket.gethostname()[:30]} {now:%Y-%m-%d}"),
    ])
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        # Whoever gets hold of this CA's key can only impersonate this machine's own loopback names,
        # not real web sites. (Not marked critical, so a client that does not know the extension
        # still accepts the CA; the ones that know it enforce it either way.)
        .add_extension(x509.NameConstraints(
            permitted_subtrees=[*(x509.DNSName(h) for h in HOSTNAMES),
                                x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
                                x509.IPAddress(ipaddress.ip_network("::1/128"))],
            excluded_subtrees=None), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / CA_KEY, _key_pem(key))
    _write_public(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _make_server(directory: Path, ca_cert: x509.Certificate, ca_key, now: dt.datetime) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTNAMES[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(
            [*(x509.DNSName(h) for h in HOSTNAMES), *(x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES)]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / SERVER_KEY, _key_pem(key))
    _write_public(directory / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def trust_instructions(ca_cert: Path) -> list[str]:
    """How to trust the CA on the machines where Outlook or the browser opens https://localhost."""
    path = str(ca_cert)
    return [
        f"  Windows:        certutil -user -addstore Root \"{path}\"",
        f"  macOS:          security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db \"{path}\"",
        (f"  Debian/Ubuntu:  sudo cp \"{path}\" /usr/local/share/ca-certificates/zegel-dev-ca.crt "
         "&& sudo update-ca-certificates"),
        f"  Chromium/Firefox on Linux (NSS): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n \"Zegel dev CA\" -i \"{path}\"",
    ]
