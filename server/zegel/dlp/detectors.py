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
    "big": ("big", "big-nummer", "bignummer", "big nummer", "big-registratie", "big-register",
            "big registratienummer"),
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


# --- BSN -------------------------------------------------------------------------------------
# 8 or 9 digits, optionally in groups with one kind of separator: 123456782, 123.456.782,
# 1234.56.782, 123 456 782, 12.345.672 (8 digits: a leading zero left off).
_BSN = re.compile(r"(?<![\w.,/-])(\d{2,4})([ .-]?)(\d{2,3})\2(\d{3})(?![\w/]|[.,-]\d)")


def find_bsn(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for m in _BSN.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if len(digits) not in (8, 9):
            continue
        number = digits.zfill(9)
        if number == "000000000" or not std_bsn.is_valid(number):
            continue
        confidence = HIGH if keyword_near(keywords, m.start(), m.end(), KEYWORD_WINDOW) else LOW
        hits.append(Hit("bsn", m.start(), m.end(), m.group(0), confidence))
    return hits


# --- IBAN --------------------------------------------------------------------------------------
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_IBAN_GROUPED = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?")


def find_iban(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits, taken = [], set()
    for pattern in (_IBAN, _IBAN_GROUPED):
        for m in pattern.finditer(text):
            value = m.group(0)
            # A match may run into the next word ("NL91 ABNA 0417 1643 00 EN"): shorten until valid.
            while len(value.replace(" ", "")) >= 15:
                # mod-97 and the country's format; not the national bank registries (a bank that
                # python-stdnum does not know is still somebody's account number).
                if std_iban.is_valid(value, check_country=False):
                    break
                value = value[:-1].rstrip()
            else:
                continue
            if m.start() not in taken:
                taken.add(m.start())
                hits.append(Hit("iban", m.start(), m.start() + len(value), value, HIGH))
    return hits


# --- Payment cards ---------------------------------------------------------------------------
_CARD = re.compile(r"(?<![\w.-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w]|[.-]\d)")


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
_VAT = re.compile(r"(?<![\w])NL ?\d{9} ?B ?\d{2}(?!\w)", re.IGNORECASE)


def find_vat(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    return [Hit("vat_nl", m.start(), m.end(), m.group(0), HIGH) for m in _VAT.finditer(text)
            if std_btw.is_valid(m.group(0))]


# --- Dutch passport / identity card number (keyword-gated) -------------------------------------
# Two letters, six letters or digits, one digit; the letter O is never used.
_PASSPORT = re.compile(r"(?<![\w])[A-NP-Z]{2}[A-NP-Z0-9]{6}\d(?!\w)")


def find_passport(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for m in _PASSPORT.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) < 2:
            continue  # a word in capitals, not a document number
        if keyword_near(keywords, m.start(), m.end(), GATE_WINDOW):
            hits.append(Hit("passport_nl", m.start(), m.end(), m.group(0), HIGH))
    return hits


# --- BIG number (keyword-gated) --------------------------------------------------------------
_BIG = re.compile(r"(?<![\w.-])\d{11}(?![\w]|[.-]\d)")


def find_big(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    return [Hit("big", m.start(), m.end(), m.group(0), HIGH) for m in _BIG.finditer(text)
            if keyword_near(keywords, m.start(), m.end(), GATE_WINDOW)]


# --- Dutch phone numbers ---------------------------------------------------------------------
_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[ -]?(?:\(0\)[ -]?)?[1-9](?:[ -]?\d){7,8}(?![\w]|[.-]\d)")


def find_phone(text: str, keywords: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for m in _PHONE.finditer(text):
        try:
            number = phonenumbers.parse(m.group(0), "NL")
        except phonenumbers.NumberParseException:
            continue
        if number.country_code == 31 and phonenumbers.is_valid_number(number):
            hits.append(Hit("phone_nl", m.start(), m.end(), m.group(0), HIGH))
    return hits


# --- E-mail addresses ------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+(?![\w@-])")


def find_email(text: str, keywords: list[tuple[int, int]], known: frozenset[str] = frozenset()) -> list[Hit]:
    """Addresses other than the sender's and the recipients' (``known``, lower case)."""
    return [Hit("email", m.start(), m.end(), m.group(0), HIGH) for m in _EMAIL.finditer(text)
            if m.group(0).lower() not in known]


NUMBER_DETECTORS = {"bsn": find_bsn, "iban": find_iban, "card": find_card, "vat_nl": find_vat,
                    "passport_nl": find_passport, "big": find_big, "phone_nl": find_phone}
DETECTORS = (*NUMBER_DETECTORS, "email")
