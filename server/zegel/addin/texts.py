"""The add-in's texts, from the same catalogs as the rest of Zegel: the event handlers get both
languages (Outlook's display language picks one), the task pane those of the page's language.
``{name}`` placeholders are filled in by the JavaScript."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from zegel.config import LANGUAGES


def _js(text) -> str:
    # gettext %-formats when given arguments; these texts carry {placeholders} for JavaScript.
    return str(text)


HANDLER = {
    "open_pane": _l("Open Zegel"),
    "secure_turned_on": _l("Secure sending is now on: {message}"),
    "more_findings": _l("{message} (+{n} more)"),
    "signed_out": _l("Sign in to Zegel to send this message securely."),
    "sign_in_hint": _l("Zegel: sign in once to send securely and to have this message checked for sensitive "
                       "content."),
    "no_recipients": _l("Add at least one recipient."),
    "missing_verification": _l("Choose a recipient verification for: {names}."),
    "unreachable": _l("Zegel cannot be reached, so the message was not sent: nothing leaves unprotected. "
                      "Try again in a moment."),
    "server_error": _l("Zegel did not accept the message: {message}"),
    "blocked": _l("This message may not be sent without Zegel: {message} Turn on secure sending."),
    "warning_at_send": _l("Sensitive content found: {message} Secure sending is now on; check the message and "
                          "send again."),
    "state_failed": _l("Zegel could not read this message's settings, so it was not sent. Try again."),
    "cloud_attachments": _l("Shared links from OneDrive or SharePoint cannot be sent securely: {names}. Remove them "
                            "and add the files with Add attachments in the Zegel pane."),
    "replace_failed": _l("Outlook could not replace the message by the secure link, so it was not sent. "
                         "Try again."),
}

PANE = {
    "code_sent": _l("We have sent you a new code."),
    "method_account": _l("Zegel account"),
    "method_sms": _l("SMS code"),
    "method_password": _l("Password"),
    "method_none": _l("None"),
    "default_label": _l("Default"),
    "remember_for": _l("Remember as default for {email}"),
    "method_for": _l("Verification method for {email}"),
    "phone_for": _l("Mobile number for {email}"),
    "password_for": _l("Agreed password for {email}"),
    "account_hint": _l("Signs in to Zegel"),
    "secure_on_now": _l("Secure sending has been turned on because of what was found."),
    "remove_file": _l("Remove file"),
    "close": _l("Close"),
    "close_all": _l("Close all"),
    "open_all": _l("Open all"),
    "closed_count": _l("{n} notices closed"),
    "remove": _l("Remove"),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "cancel": _l("Cancel"),
    "paused": _l("Paused"),
    "upload_waiting": _l("Waiting…"),
    "upload_progress": _l("{percent}% · {speed} · {left} left"),
    "upload_failed": _l("Upload stopped: {reason}"),
    "upload_done": _l("Uploaded and encrypted"),
    "uploads_busy": _l("Wait until the attachments have been uploaded."),
    "uploads_need_secure": _l("Attachments added through Zegel are only sent when secure sending is on."),
    "checking": _l("Checking…"),
    "check_ok": _l("Everything is in order: the message can be sent securely."),
    "check_problems": _l("Before you send:"),
    "blocked_unless_secure": _l("A rule of your organisation blocks sending this message without Zegel: "
                                "turn on secure sending."),
    "secure_advised": _l("Sensitive content was found: turn on secure sending."),
    "settings_saved": _l("Your setting has been saved."),
    "loading": _l("Loading…"),
    "not_zegel": _l("This e-mail is not a Zegel message."),
    "not_found": _l("This Zegel message does not exist or is not yours to see."),
    "read_none": _l("Not read yet"),
    "read_some": _l("Read by {read} of {total} recipients"),
    "read_all": _l("Read by all recipients"),
    "read_at": _l("Read {when}"),
    "not_read": _l("Not read yet"),
    "recipient": _l("Recipient"),
    "status": _l("Status"),
    "access_revoked": _l("Access revoked"),
    "revoke_access": _l("Revoke access"),
    "restore_access": _l("Restore access"),
    "revoke_message": _l("Revoke message"),
    "restore_message": _l("Restore message"),
    "confirm_revoke": _l("Revoke this message? Its recipients will no longer be able to read it."),
    "confirm_revoke_access": _l("Revoke this recipient's access to the message?"),
    "revoked": _l("This message has been revoked."),
    "attachment_removed": _l("removed"),
    "reply_title": _l("Reply securely"),
    "reply_label": _l("Your reply"),
    "reply_send": _l("Send reply securely"),
    "reply_sent": _l("Your reply has been sent securely."),
}


def pane_texts() -> dict[str, str]:
    return {key: _js(value) for key, value in {**HANDLER, **PANE}.items()}


def handler_texts() -> dict[str, dict[str, str]]:
    out = {}
    for language in LANGUAGES:
        with force_locale(language):
            out[language] = {key: _js(value) for key, value in HANDLER.items()}
    return out
