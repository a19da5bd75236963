"""Scanning a message being composed against the organisation's rules.

The same scan runs for the compose screen (as the user types), for the API the Outlook add-in
uses, and once more when a message is sent, so a blocking rule holds even for a client that
never asked. Nothing of what was scanned is kept: only an audit record of which rule matched
where."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import asdict, dataclass, field

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from zegel.accounts.models import User
from zegel.audit.service import record
from zegel.dlp import detectors, sandbox
from zegel.dlp import rules as rules_mod
from zegel.dlp.extract import kind_of
from zegel.dlp.wordlists import TermMatcher
from zegel.errors import AppError

MAX_SCAN_BYTES = 64 * 1024 * 1024  # of one attachment; the rest is reported as not checked


@dataclass
class Segment:
    location: str  # subject | body | attachment_name | attachment
    text: str
    file: str | None = None  # the attachment's name (and the path inside it, for a mail or archive)


@dataclass
class Finding:
    rule: str  # the rule's id ("" for "could not be checked")
    rule_name: str
    level: str
    location: str
    file: str | None
    detector: str
    excerpt: str
    message: str
    count: int = 1

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)

    @property
    def secure_required(self) -> bool:
        return any(f.level in ("warning", "block") for f in self.findings)

    @property
    def blocked(self) -> bool:
        return any(f.level == "block" for f in self.findings)

    def as_json(self) -> dict:
        return {"findings": [f.as_json() for f in self.findings], "secure_required": self.secure_required,
                "blocked": self.blocked}


@dataclass
class Attachment:
    """A file to scan: its name, and either its bytes or a function that reads them (at most ``limit``).
    ``cache_key`` (an upload's id: its content never changes) lets repeated scans reuse the text."""
    name: str
    data: bytes | None = None
    read: object = None  # callable(limit) -> bytes
    size: int | None = None
    cache_key: str | None = None


class _TextCache:
    """Text extracted from finished uploads, so the compose screen, which scans again at every pause
    in typing, does not read and parse a large file each time. Bounded in characters and age."""

    def __init__(self, max_chars: int = 20_000_000, ttl: float = 600.0):
        self.max_chars, self.ttl = max_chars, ttl
        self._items: OrderedDict[str, tuple[float, list[Segment], list[tuple[str, str]], int]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is None or time.monotonic() - item[0] > self.ttl:
                return None
            self._items.move_to_end(key)
            return item[1], item[2]

    def put(self, key: str, segments: list[Segment], problems: list[tuple[str, str]]) -> None:
        chars = sum(len(seg.text) for seg in segments)
        if chars > self.max_chars:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._chars -= old[3] if old else 0
            self._items[key] = (time.monotonic(), segments, problems, chars)
            self._chars += chars
            while self._chars > self.max_chars and self._items:
                _key, (_t, _s, _p, size) = self._items.popitem(last=False)
                self._chars -= size


_cache = _TextCache()


def mask(value: str) -> str:
    """Never the whole number: all but the last three letters and digits become dots."""
    keep = 3 if sum(c.isalnum() for c in value) > 6 else 1
    out, seen = [], 0
    for char in reversed(value):
        if char.isalnum():
            seen += 1
            out.append(char if seen <= keep else "•")
        else:
            out.append(char)
    return "".join(reversed(out))


def _mask_email(value: str) -> str:
    local, _at, domain = value.partition("@")
    return f"{local[:1]}•••@{domain}"


def detector_label(detector: str, rule_name: str) -> str:
    labels = {
        "bsn": _("BSN"), "iban": _("IBAN"), "card": _("payment card number"), "vat_nl": _("VAT number"),
        "passport_nl": _("passport or ID card number"), "big": _("BIG number"), "phone_nl": _("phone number"),
        "email": _("e-mail address of someone else"),
    }
    return labels.get(detector, rule_name)


def where_label(location: str) -> str:
    return {"subject": _("in the subject"), "body": _("in the message"),
            "attachment_name": _("in the name of an attachment"), "attachment": _("in an attachment")}[location]


def _message(rule: rules_mod.Rule, detector: str, location: str, found: str) -> str:
    where = where_label(location)
    if rule.detector.startswith("list:"):
        text = _("Word from list '%(list)s' %(where)s (Found: '%(found)s').", list=rule.detector[5:], where=where,
                 found=found)
    elif rule.level == "info":
        text = _("Possibly sensitive: %(what)s %(where)s.", what=detector_label(detector, rule.name), where=where)
    else:
        text = _("Sensitive content found: %(what)s %(where)s.", what=detector_label(detector, rule.name),
                 where=where)
    if rule.level == "info":
        text = _("Send securely? %(text)s", text=text)
    if location == "subject" and rule.level != "info":
        text += " " + _("The subject is not encrypted.")
    return text


def _problem_message(file: str, problem: str) -> str:
    reasons = {
        "encrypted": _("it is encrypted"), "too_large": _("it is too large to check completely"),
        "too_many_pages": _("it has too many pages to check completely"),
        "zip_bomb": _("it unpacks to too much data"), "xml_entities": _("it contains XML entity definitions"),
        "too_deep": _("it is nested too deeply"), "too_many_parts": _("it has too many parts"),
        "timeout": _("checking it took too long"), "memory": _("checking it needed too much memory"),
        "limits": _("checking it went over the limits"), "unreadable": _("it could not be read"),
    }
    return _("Attachment '%(file)s' could not be checked: %(reason)s.", file=file,
             reason=reasons.get(problem, problem))


class Scanner:
    """The rules of one organisation, ready to scan segments of text."""

    def __init__(self, rules: list[rules_mod.Rule], lists: dict[str, tuple[str, ...]],
                 known_emails: frozenset[str] = frozenset()):
        self.rules = rules
        used = {r.detector[5:] for r in rules if r.detector.startswith("list:")}
        self.matcher = TermMatcher({name: lists.get(name, ()) for name in used}, detectors.KEYWORDS)
        self.patterns = {r.id: rules_mod.compile_pattern(r.pattern) for r in rules if r.detector == "regex"}
        self.known_emails = known_emails

    def _detectors_for(self, rule: rules_mod.Rule) -> tuple[str, ...]:
        if rule.detector == "sensitive":
            return rules_mod.SENSITIVE
        return (rule.detector,)

    def scan_segment(self, segment: Segment) -> list[tuple]:
        """(rule, first hit, excerpt, count, detector) for every rule that matches in this segment."""
        applicable = [r for r in self.rules if segment.location in r.locations]
        if not applicable or not segment.text:
            return []
        terms = self.matcher.find(segment.text)
        keywords: dict[str, list[tuple[int, int]]] = defaultdict(list)
        words: dict[str, list] = defaultdict(list)
        for hit in terms:
            if hit.kind == "keyword":
                keywords[hit.name].append((hit.start, hit.end))
            else:
                words[hit.name].append(hit)
        for spans in keywords.values():
            spans.sort()
        numbers: dict[str, list[detectors.Hit]] = {}

        def hits_of(name: str) -> list[detectors.Hit]:
            if name not in numbers:
                if name == "email":
                    numbers[name] = detectors.find_email(segment.text, [], self.known_emails)
                elif name in ("iban", "iban_context"):
                    valid, shapes = detectors.scan_ibans(segment.text)
                    numbers["iban"], numbers["iban_context"] = valid, valid + shapes
                else:
                    found = detectors.NUMBER_DETECTORS[name](segment.text, keywords.get(name, []))
                    if name in detectors.INSIDE_IBAN:  # the digits of an account number are not a card
                        found = detectors.outside(found, hits_of("iban_context"))
                    numbers[name] = found
            return numbers[name]

        out = []
        for rule in applicable:
            if rule.detector.startswith("list:"):
                found = words.get(rule.detector[5:], [])
                if found:
                    out.append((rule, None, found[0].found, len(found), "list"))
                continue
            if rule.detector == "regex":
                matches = list(self.patterns[rule.id].finditer(segment.text))
                if matches:
                    out.append((rule, None, mask(matches[0].group(0)), len(matches), "regex"))
                continue
            for name in self._detectors_for(rule):
                accepted = [h for h in hits_of(name) if rule.accepts(h.confidence)]
                if accepted:
                    excerpt = _mask_email(accepted[0].value) if name == "email" else mask(accepted[0].value)
                    out.append((rule, accepted[0], excerpt, len(accepted), name))
        return out

    def scan(self, segments: list[Segment], problems: list[tuple[str, str]] = ()) -> ScanResult:
        merged: dict[tuple, Finding] = {}
        for segment in segments:
            for rule, _hit, excerpt, count, detector in self.scan_segment(segment):
                key = (rule.id, detector, segment.location, segment.file)
                if key in merged:
                    merged[key].count += count
                    continue
                merged[key] = Finding(rule.id, rule.name, rule.level, segment.location, segment.file, detector,
                                      excerpt, _message(rule, detector, segment.location, excerpt),
                                      count)
        findings = list(merged.values())
        for file, problem in problems:
            findings.append(Finding("", "", "info", "attachment", file, "extraction", "",
                                    _problem_message(file, problem)))
        order = {"block": 0, "warning": 1, "info": 2}
        findings.sort(key=lambda f: order[f.level])
        return ScanResult(findings)


def html_to_text(body_html: str) -> str:
    from zegel.dlp.extract import html_text
    return html_text(body_html or "")


def _attachment_segments(attachments: list[Attachment]) -> tuple[list[Segment], list[tuple[str, str]]]:
    segments, problems = [], []
    for att in attachments:
        cached = _cache.get(att.cache_key) if att.cache_key else None
        if cached is None:
            cached = _one_attachment(att)
            if att.cache_key:
                _cache.put(att.cache_key, *cached)
        segments += cached[0]
        problems += [p for p in cached[1] if p not in problems]
    return segments, problems


def _one_attachment(att: Attachment) -> tuple[list[Segment], list[tuple[str, str]]]:
    """The name of one file, and its text (read in the sandbox) for the formats we read."""
    segments, problems = [Segment("attachment_name", att.name, att.name)], []
    data = att.data
    if data is None:
        if kind_of(att.name, att.read(8)) is None:
            return segments, problems  # a format we do not read (an image, a video): only its name
        data = att.read(MAX_SCAN_BYTES + 1)
    elif kind_of(att.name, data[:8]) is None:
        return segments, problems
    if len(data) > MAX_SCAN_BYTES:
        data = data[:MAX_SCAN_BYTES]
        problems.append((att.name, "too_large"))
    extracted = sandbox.extract_in_sandbox(att.name, data)
    # One segment per file (the parts of a spreadsheet together), so a keyword in one cell
    # counts for a number in the next.
    texts: dict[str, list[str]] = defaultdict(list)
    for inner, text in extracted.texts:
        texts[inner].append(text)
    for inner, parts in texts.items():
        segments.append(Segment("attachment", "\n".join(parts), f"{att.name} › {inner}" if inner else att.name))
    for inner, problem in extracted.problems:
        item = (f"{att.name} › {inner}" if inner else att.name, problem)
        if item not in problems:
            problems.append(item)
    return segments, problems


def scan(session: Session, user: User, *, subject: str = "", body_html: str = "", attachments=(),
         known_emails=(), audit: bool = True, ip: str = "") -> ScanResult:
    """Scan and, with ``audit``, record what was found. The transaction is ended before attachments
    are read (which can take seconds): on SQLite every transaction holds the write lock."""
    org_id = user.organisation_id
    scanner = Scanner(rules_mod.load(session, org_id), rules_mod.org_lists(session, org_id),
                      frozenset(e.lower() for e in (*known_emails, user.email)))
    session.commit()
    segments = [Segment("subject", subject or ""), Segment("body", html_to_text(body_html))]
    more, problems = _attachment_segments(list(attachments))
    result = scanner.scan(segments + more, problems)
    if audit and result.findings:
        record(session, "dlp.scan", actor=user, ip=ip, findings=_audit_details(result))
        session.commit()
    return result


def _audit_details(result: ScanResult) -> list[dict]:
    return [{"rule": f.rule, "level": f.level, "location": f.location, "detector": f.detector}
            for f in result.findings][:50]


def check_send(session: Session, user: User, *, subject: str, body_html: str, attachments, recipients,
               ip: str = "") -> ScanResult:
    """The server's own scan of a message being sent. A blocking rule only lets it go when every
    recipient must prove who they are (no recipient with method "none"). What matched is recorded
    in the send's transaction; a refusal is recorded on its own."""
    result = scan(session, user, subject=subject, body_html=body_html, attachments=attachments,
                  known_emails=[r.email for r in recipients], audit=False)
    unverified = [r.email for r in recipients if r.method == "none"]
    if result.blocked and unverified:
        record(session, "dlp.blocked", actor=user, ip=ip, findings=_audit_details(result))
        session.commit()
        first = next(f for f in result.findings if f.level == "block")
        raise AppError("dlp_blocked", _("This message cannot be sent without recipient verification: %(reason)s "
                                        "Choose a verification for %(who)s.", reason=first.message,
                                        who=", ".join(unverified[:3])), 422)
    if result.findings:
        record(session, "dlp.send_scan", actor=user, ip=ip, findings=_audit_details(result))
    return result


def find_entities(text: str, matcher: TermMatcher | None = None,
                  only: tuple[str, ...] | None = None) -> list[detectors.Hit]:
    """Every detector's hits in ``text`` (or those named in ``only``), with keyword-based confidence,
    without rules (for the benchmark and for tests). Word-list hits come back as "list:<name>"."""
    matcher = matcher or TermMatcher({}, detectors.KEYWORDS)
    keywords: dict[str, list[tuple[int, int]]] = defaultdict(list)
    out = []
    for hit in matcher.find(text):
        if hit.kind == "keyword":
            keywords[hit.name].append((hit.start, hit.end))
        else:
            out.append(detectors.Hit(f"list:{hit.name}", hit.start, hit.end, hit.found, detectors.HIGH))
    for spans in keywords.values():
        spans.sort()
    ibans, shapes = detectors.scan_ibans(text)
    around = ibans + shapes
    for name, find in detectors.NUMBER_DETECTORS.items():
        if only is not None and name not in only:
            continue
        found = ibans if name == "iban" else find(text, keywords.get(name, []))
        out.extend(detectors.outside(found, around) if name in detectors.INSIDE_IBAN else found)
    if only is None or "email" in only:
        out.extend(detectors.find_email(text, []))
    return out
