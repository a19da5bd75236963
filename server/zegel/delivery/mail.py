"""E-mail gateways: SMTP (STARTTLS, TLS or plain on a trusted network) and the dev outbox."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from email_validator import EmailNotValidError, validate_email

from zegel.delivery.errors import DeliveryError
from zegel.delivery.models import DevOutboxItem


def smtp_address(address: str) -> str:
    """The address with an internationalised domain in its ASCII (xn--) form, which every mail server
    takes; a non-ASCII mailbox name stays as it is and needs a server with SMTPUTF8."""
    try:
        result = validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return address
    return result.ascii_email or result.normalized


def build_message(mail_from: str, payload: dict) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=mail_from.rsplit("@", 1)[-1].rstrip(">"))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(payload["text"])
    if payload.get("html"):
        msg.add_alternative(payload["html"], subtype="html")
    return msg


class SmtpMailer:
    def __init__(self, host: str, port: int, security: str, username: str | None, password: str | None,
                 mail_from: str, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None):
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.mail_from = username, password, mail_from
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, payload: dict) -> None:
        to = smtp_address(payload["to"])
        msg = build_message(self.mail_from, {**payload, "to": to})
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self.ssl_context)
                if self.username:
                    smtp.login(self.username, self.password)
                if not to.isascii():
                    smtp.ehlo_or_helo_if_needed()
                    if not smtp.has_extn("smtputf8"):
                        raise DeliveryError("the mail server does not accept non-ASCII addresses (no SMTPUTF8)",
                                            permanent=True)
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise DeliveryError(f"recipient refused by the mail server ({codes})",
                                permanent=all(500 <= c < 600 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"mail server answered {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail server unreachable: {exc.__class__.__name__}", permanent=False) from None


class DevOutboxMail:
    def __init__(self, sessionmaker):
        self._sessionmaker = sessionmaker

    def send(self, payload: dict) -> None:
        with self._sessionmaker() as session:
            session.add(DevOutboxItem(kind="email", to=payload["to"], subject=payload["subject"],
                                      text=payload["text"], html=payload.get("html", "")))
            session.commit()


def mailer_from_config(config, sessionmaker):
    if config.smtp_host:
        return SmtpMailer(config.smtp_host, config.smtp_port, config.smtp_security, config.smtp_username,
                          config.smtp_password, config.mail_from)
    return DevOutboxMail(sessionmaker)
