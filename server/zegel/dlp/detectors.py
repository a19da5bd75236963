"""Detectors: find candidates with a regular expression, validate them with python-stdnum or
phonenumbers, and grade them by keywords nearby. Pure functions, no Flask.

Confidence is "low" (a valid number that could be anything, such as nine digits passing the
elfproef) or "high" (a strong checksum, or a valid number with a keyword close by)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.nl import bsn as std_bsn
from stdnum.nl import btw as std_btw

LOW, HIGH = "low", "high"
CONFIDENCE_RANK = {LOW: 0, HIGH: 1}
KEYWORD_WINDOW = 300  # characters before or after a number in which a keyword raises confidence
GATE_WINDOW = 100  # keyword-gated detectors (passport, BIG) need the keyword this close
MAX_KEYWORD_LENGTH = 64

# Keywords per detector (matched as whole words, case- and accent-insensitive, in one pass with the word lists).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "bsn": ("burgerservicenummer", "burgerservice nummer", "bsn", "bsn-nummer", "bsnnummer", "bsn nr",
            "sofinummer", "sofi-nummer", "sofi nummer", "persoonsnummer", "persoonsgebonden nummer",
            "fiscaal nummer", "citizen service number", "social security number", "burger service nummer"),
    "card": ("creditcard", "credit card", "creditcardnummer", "kaartnummer", "card number", "card no",
             "visa", "mastercard", "maestro", "american express", "amex", "betaalkaart", "debit card"),
    "passport_nl": ("paspoort", "paspoortnummer", "passport", "passport number", "identiteitskaart",
                    "id-kaart", "idkaart", "id kaart", "identiteitsbewijs", "documentnummer", "document number",
                    "identity card", "reisdocument"),
    # Not "big" alone: it is also an English word ("a big problem").
    "big": ("big-nummer", "bignummer", "big nummer", "big-registratie", "big-register", "big-registratienummer",
            "big registratienummer", "big-geregistreerd"),
}


@dataclass
class Hit:
    detector: str
    start: int
    end: int
    value: str
    confidence: str


def keyword_near(keywords: list[tuple[int, int]], start: int, end: int, window: int) -> bool:
    """Whether a keyword (start, end), sorted by start, lies within ``window`` characters of [start, end)."""
    i = bisect.bisect_left(keywords, (start - window - MAX_KEYWORD_LENGTH, 0))
    while i < len(keywords) and keywords[i][0] <= end + window:
        if keywords[i][1] >= start - window:
            return True
        i += 1
    return False


# Every pattern starts with a character class and checks what comes before it only after that
# first character: Python's regex engine then skips ahead to candidate characters in C instead of
# trying the look-behind at every position (several times faster on long texts).

# --- BSN -------------------------------------------------------------------------------------
# 8 or 9 digits, optionally in groups with one kind of separator: 123456782, 123.456.782,
# 1234.56.782, 123 456 782, 12.345.672 (8 digits: a leading zero left off). Not part of a longer
# number, an amount ("€ 29.842.311,-") or a phone number ("06 12345672").
_BSN = re.compile(r"(\d(?<![\w/]\d)(?<!\d[.,-]\d)\d{1,3})([ .-]?)(\d{2,3})\2(\d{3})"
                  r"(?![\w/]|[.,]\d{1,2}(?![\d-])|[.,]\d{3}|-\d|,-)")  # not "…,50" cents or "…-20" more digits
_BSN_NOT_AFTER = re.compile(r"(?:€|(?<![A-Za-z])EUR|(?<![A-Za-z])eur|(?:\+31|0031|\(0\)|(?<!\d)0)[ -]?6"
                            r"|\+31[ -]?\(0\)[ -]?6)[ -]?$")


def find_bsn(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for m in _BSN.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if len(digits) not in (8, 9):
            continue
        number = digits.zfill(9)
        # The candidate is already nine plain digits: python-stdnum's elfproef itself, without the
        # clean-up pass of its validate() (a fifth of all scanning time on long texts).
        if number == "000000000" or std_bsn.checksum(number) != 0:
            continue
        if _BSN_NOT_AFTER.search(text, max(0, m.start() - 12), m.start()):
            continue  # the rest of a mobile number, or an amount
        confidence = HIGH if keyword_near(keywords, m.start(), m.end(), KEYWORD_WINDOW) else LOW
        hits.append(Hit("bsn", m.start(), m.end(), m.group(0), confidence))
    return hits


# --- IBAN --------------------------------------------------------------------------------------
# Compact, in groups of four, with spaces or dashes, in capitals or not. The match starts at the
# check digits (digits are rarer than letters, so the engine tries far fewer places); the two
# letters before them are checked by the look-behind and added back.
_IBAN = re.compile(r"\d(?<=(?<![A-Za-z0-9])[A-Za-z]{2}\d)\d(?:[ -]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")


_LOWER_TAIL = re.compile(r"[ -][A-Z0-9]*[a-z].*$")


def _valid_iban(value: str) -> str:
    """``value``, or its longest valid start that ends before a space or dash ("NL91 ABNA 0417 1643 00 EN"
    ran into the next word); never a number with letters glued to it. Empty when none is valid."""
    if value[:2].isupper():
        value = _LOWER_TAIL.sub("", value)  # written in capitals: a part with small letters is a word after it
    while len(value) >= 15:
        # mod-97 and the country's format; not the national bank registries (a bank that
        # python-stdnum does not know is still somebody's account number).
        if std_iban.is_valid(value, check_country=False):
            return value
        cut = max(value.rfind(" "), value.rfind("-"))
        if cut < 0:
            break
        value = value[:cut]
    return ""


# What looks like an IBAN, valid or not: no card, phone or BSN is read inside it.
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?")


def scan_ibans(text: str) -> tuple[list[Hit], list[Hit]]:
    """The valid IBANs, and the extent of what only looks like one (in capitals and groups of four,
    but invalid), in one pass over the text."""
    valid, shapes, pos = [], [], 0
    while m := _IBAN.search(text, pos):
        start = m.start() - 2  # the country code before the check digits
        raw = text[start:m.end()]
        value = _valid_iban(raw)
        if value:
            valid.append(Hit("iban", start, start + len(value), value, HIGH))
            pos = start + len(value)  # the match may have run into the next IBAN
            continue
        shape = _IBAN_SHAPE.match(raw)
        if shape:
            shapes.append(Hit("iban_shape", start, start + shape.end(), "", LOW))
        pos = m.start() + 1
    return valid, shapes


def find_iban(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    return scan_ibans(text)[0]


def outside(hits: list[Hit], spans: list[Hit]) -> list[Hit]:
    """``hits`` that do not overlap any of ``spans`` (a card or phone number inside an IBAN is not
    one). Spans sorted once, then one binary search per hit: a long text has thousands of both."""
    if not spans or not hits:
        return hits
    ordered = sorted((s.start, s.end) for s in spans)
    starts = [start for start, _end in ordered]
    reach, furthest = [], 0  # the furthest end among the spans up to each index
    for _start, end in ordered:
        furthest = max(furthest, end)
        reach.append(furthest)
    kept = []
    for h in hits:
        i = bisect.bisect_left(starts, h.end) - 1  # the last span starting before the hit ends
        if i < 0 or reach[i] <= h.start:
            kept.append(h)
    return kept


# --- Payment cards ---------------------------------------------------------------------------
_CARD = re.compile(r"[2-6](?<![\w.-][2-6])\d{3}(?:[ -]?\d){9,15}(?![\w]|[.-]\d)")


def find_card(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(digits) <= 19 or not luhn.is_valid(digits):
            continue
        confidence = HIGH if keyword_near(keywords, m.start(), m.end(), KEYWORD_WINDOW) else LOW
        hits.append(Hit("card", m.start(), m.end(), m.group(0), confidence))
    return hits


# --- Dutch VAT number ------------------------------------------------------------------------
_VAT = re.compile(r"[Nn](?<!\w[Nn])[Ll] ?\d{9} ?[Bb] ?\d{2}(?!\w)")


def find_vat(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    return [Hit("vat_nl", m.start(), m.end(), m.group(0), HIGH) for m in _VAT.finditer(text)
            if std_btw.is_valid(m.group(0))]


# --- Dutch passport / identity card number (keyword-gated) -------------------------------------
# Two letters, six letters or digits, one digit; the letter O is never used.
_PASSPORT = re.compile(r"[A-NP-Z](?<!\w[A-NP-Z])[A-NP-Z][A-NP-Z0-9]{6}\d(?!\w)")


def find_passport(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for m in _PASSPORT.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) < 2:
            continue  # a word in capitals, not a document number
        if keyword_near(keywords, m.start(), m.end(), GATE_WINDOW):
            hits.append(Hit("passport_nl", m.start(), m.end(), m.group(0), HIGH))
    return hits


# --- BIG number (keyword-gated) --------------------------------------------------------------
_BIG = re.compile(r"\d(?<![\w.-]\d)\d{10}(?![\w]|[.-]\d)")


def find_big(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    return [Hit("big", m.start(), m.end(), m.group(0), HIGH) for m in _BIG.finditer(text)
            if keyword_near(keywords, m.start(), m.end(), GATE_WINDOW)]


# --- Dutch phone numbers ---------------------------------------------------------------------
# 0612345678, 06-12345678, +31 6 12345678, +31 (0)20 123 4567, (076) 259 09 49, 020 - 123 45 67.
_PHONE = re.compile(r"(?:\+(?<![\w+]\+)31|0(?<![\w+]0)(?:031)?|\((?<![\w+]\()0)[ -]?(?:\(0\)[ -]?)?[1-9]"
                    r"(?:(?:\) ?| ?- ?| )?\d){7,8}(?![\w]|[.-]\d)")


def _number_types(region: str) -> list[re.Pattern]:
    """phonenumbers' own patterns for the region's number types (fixed line, mobile, …): checking a
    national number against them is what ``is_valid_number`` does, without parsing each time."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    kinds = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
             "pager", "uan", "voicemail")
    return [re.compile(desc.national_number_pattern) for desc in (getattr(metadata, k, None) for k in kinds)
            if desc is not None and desc.national_number_pattern]


_NL_TYPES = _number_types("NL")


def valid_dutch_number(candidate: str) -> bool:
    """Whether a Dutch number as written ("+31 (0)6 …", "0031 …", "(076) …", "06-…") is valid."""
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip("(").startswith("+"):
        digits = digits[2:]  # +31
    elif digits.startswith("0031"):
        digits = digits[4:]
    return any(p.fullmatch(digits.removeprefix("0")) for p in _NL_TYPES)


def find_phone(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    return [Hit("phone_nl", m.start(), m.end(), m.group(0), HIGH) for m in _PHONE.finditer(text)
            if valid_dutch_number(m.group(0))]


# --- E-mail addresses ------------------------------------------------------------------------
# Found from the "@" (a literal the engine finds fast), then the local part is read backwards.
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+(?![\w@-])")
_EMAIL_DOMAIN = re.compile(r"@[\w-]{1,63}(?:\.[\w-]{1,63})+(?![\w@-])")
_EMAIL_LOCAL = re.compile(r"[\w.+-]{1,64}")  # matched on the reversed text before the "@"


def find_email(text: str, keywords: list[tuple[int, int]], known: frozenset[str] = frozenset()) -> list[Hit]:
    """Addresses other than the sender's and the recipients' (``known``, lower case)."""
    hits = []
    for m in _EMAIL_DOMAIN.finditer(text):
        local = _EMAIL_LOCAL.match(text[max(0, m.start() - 64):m.start()][::-1])
        if local is None:
            continue
        start = m.start() - local.end()
        value = text[start:m.end()]
        if value.lower() not in known:
            hits.append(Hit("email", start, m.end(), value, HIGH))
    return hits


NUMBER_DETECTORS = {"bsn": find_bsn, "iban": find_iban, "card": find_card, "vat_nl": find_vat,
                    "passport_nl": find_passport, "big": find_big, "phone_nl": find_phone}
DETECTORS = (*NUMBER_DETECTORS, "email")
INSIDE_IBAN = ("bsn", "card", "phone_nl", "big")  # their hits inside an IBAN are dropped
