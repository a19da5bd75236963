"""The organisation's rules: what to look for, where, and what it means (info, warning, block)."""
from __future__ import annotations

from dataclasses import dataclass

import re2
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from zegel.dlp import wordlists
from zegel.dlp.detectors import CONFIDENCE_RANK, DETECTORS
from zegel.dlp.models import DlpRule, DlpWordList
from zegel.errors import AppError

LEVELS = ("info", "warning", "block")
LOCATIONS = ("subject", "body", "attachment_name", "attachment")
# "sensitive": any number a person can be identified or robbed with (for the subject rule).
SENSITIVE = ("bsn", "iban", "card", "passport_nl", "big")
META_DETECTORS = ("sensitive", "regex")
MAX_RULES = 200
MAX_PATTERN = 1000
MAX_LIST_TERMS = 5000
RE2_OPTIONS = re2.Options()
RE2_OPTIONS.max_mem = 8 << 20  # a pattern needing more is refused when it is saved
RE2_OPTIONS.case_sensitive = False

# Shipped for every new organisation (and for existing ones by migration 0006).
DEFAULT_RULES = (
    {"name": "BSN", "detector": "bsn", "min_confidence": "high", "level": "warning",
     "locations": "body,attachment_name,attachment"},
    {"name": "Gevoelig in onderwerp", "detector": "sensitive", "min_confidence": "low", "level": "warning",
     "locations": "subject"},
    {"name": "Medische termen", "detector": "list:medical", "min_confidence": "low", "level": "info",
     "locations": "body,attachment"},
    {"name": "Persoonsgegevens", "detector": "list:personal", "min_confidence": "low", "level": "info",
     "locations": "body,attachment"},
    {"name": "IBAN", "detector": "iban", "min_confidence": "high", "level": "info",
     "locations": "body,attachment"},
)


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    detector: str
    level: str
    min_confidence: str
    locations: frozenset[str]
    pattern: str | None = None

    def accepts(self, confidence: str) -> bool:
        return CONFIDENCE_RANK[confidence] >= CONFIDENCE_RANK[self.min_confidence]


def install_defaults(session: Session, organisation_id: str) -> None:
    for position, values in enumerate(DEFAULT_RULES):
        session.add(DlpRule(organisation_id=organisation_id, position=position, **values))


def org_lists(session: Session, organisation_id: str) -> dict[str, tuple[str, ...]]:
    """The shipped lists and the organisation's own, by name."""
    lists = {name: wordlists.shipped(name) for name in wordlists.SHIPPED}
    for row in session.scalars(select(DlpWordList).where(DlpWordList.organisation_id == organisation_id)):
        lists[row.name] = tuple(wordlists.clean_terms(row.terms))
    return lists


def load(session: Session, organisation_id: str) -> list[Rule]:
    rows = session.scalars(select(DlpRule).where(DlpRule.organisation_id == organisation_id, DlpRule.enabled)
                           .order_by(DlpRule.position))
    return [Rule(r.id, r.name, r.detector, r.level, r.min_confidence,
                 frozenset(r.locations.split(",")), r.pattern) for r in rows]


def compile_pattern(pattern: str):
    """An organisation's regular expression, with RE2: matching time grows linearly with the text,
    whatever the pattern, so no rule can hang the scanner. Refused when RE2 cannot take it."""
    if not pattern or len(pattern) > MAX_PATTERN:
        raise AppError("invalid_rule", _l("Give a regular expression of at most %(n)d characters.", n=MAX_PATTERN),
                       400)
    try:
        return re2.compile(pattern, RE2_OPTIONS)
    except re2.error as exc:
        raise AppError("invalid_rule", _l("This regular expression cannot be used: %(reason)s", reason=str(exc)[:200]),
                       400) from None


def validate(raw: dict, list_names: set[str]) -> dict:
    """One rule as sent by the admin page or the JSON API, checked field by field."""
    if not isinstance(raw, dict):
        raise AppError("invalid_rule", _l("A rule must be an object."), 400)
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 100:
        raise AppError("invalid_rule", _l("Give every rule a name of at most 100 characters."), 400)
    detector = str(raw.get("detector") or "")
    if detector.startswith("list:"):
        if detector[5:] not in list_names:
            raise AppError("invalid_rule", _l("The word list '%(name)s' does not exist.", name=detector[5:]), 400)
    elif detector not in DETECTORS and detector not in META_DETECTORS:
        raise AppError("invalid_rule", _l("Unknown detector: %(name)s", name=detector[:50]), 400)
    pattern = None
    if detector == "regex":
        pattern = str(raw.get("pattern") or "")
        compile_pattern(pattern)
    level = raw.get("level")
    if level not in LEVELS:
        raise AppError("invalid_rule", _l("The level must be info, warning or block."), 400)
    confidence = raw.get("min_confidence", "low")
    if confidence not in CONFIDENCE_RANK:
        raise AppError("invalid_rule", _l("The minimum confidence must be low or high."), 400)
    locations = raw.get("locations")
    if isinstance(locations, str):
        locations = [p for p in locations.split(",") if p]
    if not isinstance(locations, list) or not locations or any(loc not in LOCATIONS for loc in locations):
        raise AppError("invalid_rule", _l("Choose where the rule looks: subject, body, attachment names, "
                                          "attachment content."), 400)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise AppError("invalid_rule", _l("enabled must be true or false."), 400)
    return {"name": name, "detector": detector, "pattern": pattern, "level": level, "min_confidence": confidence,
            "locations": ",".join(loc for loc in LOCATIONS if loc in locations), "enabled": enabled}
