"""Changing an organisation's rules and word lists (admins only), and files to scan from uploads."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zegel.accounts.models import User
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.dlp import rules as rules_mod
from zegel.dlp import service, wordlists
from zegel.dlp.detectors import DETECTORS
from zegel.dlp.models import DlpRule, DlpWordList
from zegel.errors import AppError

LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def require_admin(user: User) -> User:
    if not user.is_admin:
        raise AppError("forbidden", _l("Only an administrator of your organisation can do this."), 403)
    return user


def scan_file(upload) -> service.Attachment:
    """A finished upload as a file to scan, read only as far as the scan needs (its text is cached
    under the upload's id, which never changes content)."""
    from zegel.uploads.service import display_name, metadata, reader
    return service.Attachment(display_name(metadata(upload)), read=reader(upload), size=upload.length,
                              cache_key=upload.id)


def upload_files(user: User, upload_ids) -> list[service.Attachment]:
    """The user's finished uploads, as files to scan."""
    from zegel.extensions import db
    from zegel.uploads.service import get
    if not isinstance(upload_ids, list) or not all(isinstance(i, str) for i in upload_ids) or len(upload_ids) > 1000:
        raise AppError("invalid_field", _l("uploads must be a list of upload ids."), 400)
    files = []
    for upload_id in upload_ids:
        upload = get(db.session, user, upload_id)
        if upload.completed_at is None:
            raise AppError("upload_incomplete", _l("An upload is not complete yet."), 409)
        files.append(scan_file(upload))
    return files


def rules_json(session: Session, user: User) -> dict:
    org = user.organisation_id
    rows = session.scalars(select(DlpRule).where(DlpRule.organisation_id == org).order_by(DlpRule.position))
    own = session.scalars(select(DlpWordList).where(DlpWordList.organisation_id == org).order_by(DlpWordList.name))
    return {
        "rules": [{"id": r.id, "name": r.name, "detector": r.detector, "pattern": r.pattern,
                   "min_confidence": r.min_confidence, "locations": r.locations.split(","), "level": r.level,
                   "enabled": r.enabled} for r in rows],
        "detectors": [*DETECTORS, "sensitive", "regex"],
        "lists": [{"name": name, "shipped": True, "terms": len(wordlists.shipped(name))} for name in wordlists.SHIPPED]
        + [{"name": w.name, "shipped": False, "terms": wordlists.clean_terms(w.terms)} for w in own],
    }


def replace_rules(session: Session, user: User, raw, *, ip: str = "") -> None:
    """All rules at once: every one is checked before any is saved."""
    if not isinstance(raw, list) or len(raw) > rules_mod.MAX_RULES:
        raise AppError("invalid_rule", _l("Send at most %(n)d rules as a list.", n=rules_mod.MAX_RULES), 400)
    names = set(rules_mod.org_lists(session, user.organisation_id))
    checked = [rules_mod.validate(item, names) for item in raw]
    session.execute(delete(DlpRule).where(DlpRule.organisation_id == user.organisation_id))
    for position, values in enumerate(checked):
        session.add(DlpRule(organisation_id=user.organisation_id, position=position, **values))
    record(session, "dlp.rules_changed", actor=user, ip=ip, rules=len(checked))
    session.commit()


def save_list(session: Session, user: User, name: str, terms, *, ip: str = "") -> None:
    if not LIST_NAME.fullmatch(name or "") or name in wordlists.SHIPPED:
        raise AppError("invalid_list", _l("A list name is 1 to 50 lower-case letters, digits, - or _, and not the "
                                          "name of a shipped list."), 400)
    if not all(isinstance(t, str) for t in terms):
        raise AppError("invalid_list", _l("Terms must be text."), 400)
    cleaned = wordlists.clean_terms("\n".join(terms))
    if not cleaned or len(cleaned) > rules_mod.MAX_LIST_TERMS:
        raise AppError("invalid_list", _l("A list has 1 to %(n)d terms.", n=rules_mod.MAX_LIST_TERMS), 400)
    row = session.scalar(select(DlpWordList).where(DlpWordList.organisation_id == user.organisation_id,
                                                   DlpWordList.name == name))
    if row is None:
        row = DlpWordList(organisation_id=user.organisation_id, name=name)
        session.add(row)
    row.terms, row.updated_at = "\n".join(cleaned), utcnow()
    record(session, "dlp.list_saved", actor=user, ip=ip, list=name, terms=len(cleaned))
    session.commit()


def delete_list(session: Session, user: User, name: str, *, ip: str = "") -> None:
    row = session.scalar(select(DlpWordList).where(DlpWordList.organisation_id == user.organisation_id,
                                                   DlpWordList.name == name))
    if row is None:
        raise AppError("not_found", _l("This word list does not exist."), 404)
    in_use = session.scalar(select(DlpRule.id).where(DlpRule.organisation_id == user.organisation_id,
                                                     DlpRule.detector == f"list:{name}"))
    if in_use:
        raise AppError("list_in_use", _l("A rule uses this list: change or delete that rule first."), 409)
    session.delete(row)
    record(session, "dlp.list_deleted", actor=user, ip=ip, list=name)
    session.commit()
