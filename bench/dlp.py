"""Zegel's DLP detectors against Microsoft Presidio: precision, recall and F1 per entity,
throughput, and the latency of a scan with a PDF attachment.

The corpus is generated here, seeded, so every run sees the same text: Dutch and English
e-mail-like documents (Faker nl_NL and en_US) with labelled spans for valid BSNs in every
written form (with and without a keyword close by), BSN-shaped numbers that fail the elfproef,
IBANs of several countries (compact and in groups of four) and broken ones, Dutch phone
numbers, e-mail addresses, word-list terms, and decoys (order, invoice and KvK numbers, dates,
amounts). Presidio (presidio-analyzer, offline, with a blank spaCy pipeline) runs on the same
corpus with pattern recognizers that use the same regular expressions, the same validation
and Dutch context words. Prints the figures and, as the last line, one JSON object. Usage:

    .venv/bin/python bench/dlp.py [--size-mb 4]

Targets (from the issue): BSN and IBAN F1 >= 0.99; no high-confidence BSN finding on a number
that fails the elfproef; throughput >= 50 x Presidio's; p95 latency of a scan of a 20 KB body
plus a 2 MB PDF under 300 ms.

Only the standard library is imported at the top: the sandbox's forkserver children import
this module again, and anything heavy here would be counted in every extraction.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import math
import random
import re
import statistics
import sys
import tempfile
import textwrap
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache

KEYWORD_WINDOW = 300  # a BSN with (part of) a keyword within this many characters is high confidence
PRESIDIO_HIGH = 0.6  # a Presidio BSN score at or above this one had a context word (0.3 + 0.35)
SEED = 20240611
LATENCY_RUNS = 30
BODY_BYTES = 20_000
PDF_BYTES = 2_000_000


# --- Truth for word lists and keywords -----------------------------------------------------------

@cache
def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else char.lower()[:1] or char


def plain_fold(text: str) -> str:
    """Lower case without accents, one character for one character (positions stay put)."""
    return "".join(map(_fold_char, text))


_WORD = re.compile(r"[^\W_]+")


class TermFinder:
    """Whole-word, case- and accent-insensitive occurrences of terms. This is the corpus's own
    truth, written independently of the Aho-Corasick matcher it is used to check."""

    def __init__(self, groups: dict[str, tuple[str, ...]]):
        self.by_first_word: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for name, terms in groups.items():
            for term in terms:
                key = " ".join(plain_fold(term).split())
                first = _WORD.match(key)
                if first:
                    self.by_first_word[first.group(0)][key].add(name)

    def find(self, text: str) -> list[tuple[int, int, frozenset[str]]]:
        """(start, end, names of the groups holding the term) for every occurrence, overlaps included."""
        folded = plain_fold(text)
        out = []
        for word in _WORD.finditer(folded):
            candidates = self.by_first_word.get(word.group(0))
            if not candidates:
                continue
            start = word.start()
            if start > 0 and folded[start - 1].isalnum():
                continue
            for key, names in candidates.items():
                end = start + len(key)
                if folded.startswith(key, start) and not (end < len(folded) and folded[end].isalnum()):
                    out.append((start, end, frozenset(names)))
        return out


# --- Numbers ------------------------------------------------------------------------------------

BSN_FORMATS = ("compact", "dots_4_2_3", "dots_3_3_3", "spaces", "dashes")
BSN8_FORMATS = ("dots_8", "compact_8")
NL_BANKS = ("ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ", "RBRB", "FVLB")
BE_BANKS = ("001", "063", "068", "083", "310", "320", "363", "651", "735", "973")
GB_BANKS = ("NWBK", "BARC", "HBUK", "LOYD", "MIDL", "NAIA")
AREA_CODES_3 = ("020", "010", "030", "070", "040", "050", "024", "026", "038", "043", "053", "055", "058", "071",
                "073", "076", "079")
AREA_CODES_4 = ("0228", "0513", "0592", "0299", "0318", "0475", "0546", "0172")


class Numbers:
    """Numbers for the corpus, valid and invalid by python-stdnum's and phonenumbers' rules."""

    def __init__(self, rng: random.Random):
        import phonenumbers
        from stdnum import iban
        from stdnum.nl import bsn
        self.rng, self.iban, self.bsn, self.phonenumbers = rng, iban, bsn, phonenumbers

    def digits(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    def bsn_number(self, valid: bool, eight: bool = False) -> str:
        """Nine digits that pass (or fail) the elfproef; for ``eight`` the first one is 0."""
        while True:
            number = ("0" + self.digits(8)) if eight else (self.rng.choice("123456789") + self.digits(8))
            if eight and number[1] == "0":
                continue  # a seven-digit number once the zero is left off
            if self.bsn.is_valid(number) == valid and int(number) > 0:
                return number

    def elfproef_failing(self, length: int) -> str:
        """``length`` digits (8 or 9) that fail the elfproef, also when padded to nine: an order or KvK number."""
        while True:
            number = self.rng.choice("123456789") + self.digits(length - 1)
            if not self.bsn.is_valid(number.zfill(9)):
                return number

    @staticmethod
    def format_bsn(number: str, style: str) -> str:
        if style == "compact":
            return number
        if style == "dots_4_2_3":
            return f"{number[:4]}.{number[4:6]}.{number[6:]}"
        if style == "dots_3_3_3":
            return f"{number[:3]}.{number[3:6]}.{number[6:]}"
        if style == "spaces":
            return f"{number[:3]} {number[3:6]} {number[6:]}"
        if style == "dashes":
            return f"{number[:3]}-{number[3:6]}-{number[6:]}"
        eight = number[1:] if len(number) == 9 else number
        if style == "dots_8":
            return f"{eight[:2]}.{eight[2:5]}.{eight[5:]}"
        if style == "compact_8":
            return eight
        raise ValueError(style)

    def bban(self, country: str) -> str:
        """The national part of an account number, with its national check digits where there are any."""
        if country == "NL":
            return self.rng.choice(NL_BANKS) + self.digits(10)
        if country == "BE":
            first = self.rng.choice(BE_BANKS) + self.digits(7)
            return first + f"{int(first) % 97 or 97:02d}"
        if country == "DE":
            return self.digits(18)
        if country == "FR":
            bank, branch, account = self.digits(5), self.digits(5), self.digits(11)
            key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
            return f"{bank}{branch}{account}{key:02d}"
        if country == "GB":
            return self.rng.choice(GB_BANKS) + self.digits(14)
        raise ValueError(country)

    def valid_iban(self, country: str) -> str:
        while True:
            bban = self.bban(country)
            number = country + self.iban.calc_check_digits(country + "00" + bban) + bban
            if self.iban.is_valid(number):
                return number

    def invalid_iban(self, country: str) -> str:
        """A valid IBAN with one digit changed or two neighbouring digits swapped: the checksum fails."""
        while True:
            chars = list(self.valid_iban(country))
            positions = [i for i in range(4, len(chars)) if chars[i].isdigit()]
            i = self.rng.choice(positions)
            if self.rng.random() < 0.5 and i + 1 < len(chars) and chars[i + 1].isdigit() and chars[i] != chars[i + 1]:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
            else:
                chars[i] = self.rng.choice([d for d in "0123456789" if d != chars[i]])
            number = "".join(chars)
            if not self.iban.is_valid(number):
                return number

    def format_iban(self, number: str, grouped: bool) -> str:
        return self.iban.format(number) if grouped else number

    def phone(self) -> tuple[str, str]:
        """(a valid Dutch phone number as people write it, the name of its format)."""
        while True:
            style = self.rng.choice(("mobile_dash", "mobile_space", "mobile_pairs", "mobile_intl", "mobile_intl_0",
                                     "area3_dash", "area3_groups", "area3_pairs", "area3_intl", "area3_intl_0",
                                     "area3_0031", "area3_brackets", "area4_dash", "area4_groups"))
            if style.startswith("mobile"):
                rest = self.rng.choice("1234568") + self.digits(7)
                text = {"mobile_dash": f"06-{rest}", "mobile_space": f"06 {rest}",
                        "mobile_pairs": f"06 {rest[:2]} {rest[2:4]} {rest[4:6]} {rest[6:]}",
                        "mobile_intl": f"+31 6 {rest}", "mobile_intl_0": f"+31 (0)6 {rest}"}[style]
            elif style.startswith("area3"):
                area, rest = self.rng.choice(AREA_CODES_3), self.rng.choice("23456789") + self.digits(6)
                text = {"area3_dash": f"{area}-{rest}", "area3_groups": f"{area} {rest[:3]} {rest[3:]}",
                        "area3_pairs": f"{area}-{rest[:3]} {rest[3:5]} {rest[5:]}",
                        "area3_intl": f"+31 {area[1:]} {rest[:3]} {rest[3:]}",
                        "area3_intl_0": f"+31 (0){area[1:]} {rest}", "area3_0031": f"0031 {area[1:]} {rest}",
                        "area3_brackets": f"({area}) {rest[:3]} {rest[3:5]} {rest[5:]}"}[style]
            else:
                area, rest = self.rng.choice(AREA_CODES_4), self.rng.choice("23456789") + self.digits(5)
                text = {"area4_dash": f"{area}-{rest}", "area4_groups": f"{area} {rest[:3]} {rest[3:]}"}[style]
            number = self.phonenumbers.parse(re.sub(r"[()]", "", text.replace("(0)", "")), "NL")
            if self.phonenumbers.is_valid_number(number):
                return text, style

    def invoice(self) -> str:
        year = self.rng.choice(("2023", "2024", "2025"))
        return self.rng.choice((f"{year}-{self.digits(6)}", f"F{year}/{self.digits(5)}", f"INV-{self.digits(6)}",
                                f"{year}{self.digits(4)}-{self.digits(2)}"))

    def date(self, language: str) -> str:
        day, month, year = self.rng.randint(1, 28), self.rng.randint(1, 12), self.rng.randint(2019, 2026)
        months = (("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                   "oktober", "november", "december") if language == "nl" else
                  ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"))
        return self.rng.choice((f"{day:02d}-{month:02d}-{year}", f"{day:02d}.{month:02d}.{year}",
                                f"{year}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year}",
                                f"{day} {months[month - 1]} {year}"))

    def amount(self, language: str) -> str:
        """Mostly with cents; one in five in whole euros, up to a hundred million."""
        if self.rng.random() < 0.2:
            euros = int(10 ** self.rng.uniform(3, 8))
            grouped = f"{euros:,}".replace(",", ".")
            return self.rng.choice((f"€ {grouped}", f"EUR {grouped}", f"€ {grouped},-"))
        euros, cents = int(10 ** self.rng.uniform(1, 6)), self.rng.randint(0, 99)
        if language == "en":
            return f"€{euros:,}.{cents:02d}"
        return f"€ {euros:,}".replace(",", ".") + f",{cents:02d}"


# --- The corpus -----------------------------------------------------------------------------------

@dataclass
class Label:
    entity: str  # bsn, bsn_invalid, iban, iban_invalid, phone_nl, email, wordlist, decoy
    start: int
    end: int
    value: str
    kind: str = ""  # a format, a country, a decoy's kind, or the lists holding a term
    keyword: bool = False  # for BSN-shaped numbers: (part of) a BSN keyword within KEYWORD_WINDOW characters


@dataclass
class Document:
    text: str
    language: str
    labels: list[Label] = field(default_factory=list)


class DocumentBuilder:
    """Text appended piece by piece; labelled pieces remember where they are."""

    def __init__(self, language: str):
        self.language = language
        self.parts: list[str] = []
        self.length = 0
        self.labels: list[Label] = []

    def text(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def entity(self, entity: str, value: str, kind: str = "") -> None:
        self.labels.append(Label(entity, self.length, self.length + len(value), value, kind))
        self.text(value)

    def build(self) -> Document:
        return Document("".join(self.parts), self.language, self.labels)


TEMPLATES = {
    "nl": {
        "bsn_keyword": ("Het burgerservicenummer van {name} is {x}.", "BSN: {x}", "Mijn BSN is {x}, kunt u dat aanpassen?",
                        "Zijn sofinummer ({x}) staat nog op de oude loonstrook.", "Graag het BSN-nummer {x} controleren.",
                        "{x} is het burgerservicenummer van mevrouw {last}.", "Bsn nr {x} van {first} klopt niet."),
        "bsn_plain": ("Kenmerk: {x}", "Het nummer {x} hoort bij {name}.", "Zie dossier {x} voor de details.",
                      "Ons referentienummer is {x}.", "Klantnummer {x}; graag vermelden bij betaling."),
        "iban": ("Graag overmaken naar {x} t.n.v. {name}.", "IBAN: {x}", "Ons rekeningnummer is {x}.",
                 "Het bedrag wordt gestort op {x} binnen vijf werkdagen.", "Rekening {x} (ten name van {name})"),
        "phone": ("Bel me gerust op {x}.", "Telefoon: {x}", "U kunt ons bereiken via {x}.", "Mijn nieuwe nummer is {x}."),
        "email": ("Mail het naar {x} a.u.b.", "Stuur een kopie aan {x}."),
        "order": ("Uw ordernummer is {x}.", "Bestelling {x} is vandaag verzonden.", "Zending {x} komt morgen aan."),
        "kvk": ("KvK-nummer {x}", "Ingeschreven bij de Kamer van Koophandel onder nummer {x}."),
        "invoice": ("Factuurnummer {x}", "Zie factuur {x} in de bijlage."),
        "date": ("Datum: {x}", "De afspraak is op {x} om 14:30."),
        "amount": ("Het bedrag van {x} is ontvangen.", "Totaal te betalen: {x}"),
        "term": ("Het gaat om {x}.", "Betreft: {x}", "In de bijlage vindt u informatie over {x}."),
    },
    "en": {
        "bsn_keyword": ("The citizen service number (BSN) of {name} is {x}.", "BSN {x}",
                        "Her social security number is {x}, please update the file.",
                        "Please check BSN {x} against our records.", "{x} is the BSN of {name}."),
        "bsn_plain": ("Reference: {x}", "The number {x} belongs to {name}.", "See case {x} for the details.",
                      "Customer number {x}; please quote it when paying."),
        "iban": ("Please transfer the amount to {x}.", "IBAN: {x}", "Pay into {x} in the name of {name}.",
                 "The refund goes to {x} within five working days."),
        "phone": ("Call me on {x}.", "Phone: {x}", "You can reach our office at {x}."),
        "email": ("Please send it to {x}.", "Copy in {x} as well."),
        "order": ("Your order number is {x}.", "Order {x} has shipped today.", "Parcel {x} arrives tomorrow."),
        "kvk": ("Chamber of Commerce number {x}", "Registered with the KvK under number {x}."),
        "invoice": ("Invoice number {x}", "See invoice {x} attached."),
        "date": ("Date: {x}", "The appointment is on {x} at 2:30 pm."),
        "amount": ("We received the amount of {x}.", "Total due: {x}"),
        "term": ("This is about {x}.", "Subject: {x}", "Attached is information on {x}."),
    },
}
# How often each kind of sentence is dropped into a paragraph.
SENTENCE_WEIGHTS = {"bsn_valid_keyword": 10, "bsn_valid_plain": 7, "bsn_invalid_keyword": 5, "bsn_invalid_plain": 5,
                    "iban_valid": 10, "iban_invalid": 4, "phone": 8, "email": 3, "order": 7, "kvk": 3, "invoice": 4,
                    "date": 5, "amount": 6, "term": 12}
GREETINGS = {"nl": ("Beste {first},", "Geachte heer/mevrouw {last},", "Hoi {first},"),
             "en": ("Dear {first},", "Hi {first},", "Dear Mr/Ms {last},")}
CLOSINGS = {"nl": ("Met vriendelijke groet,", "Groeten,", "Hartelijke groet,"),
            "en": ("Kind regards,", "Best wishes,", "Regards,")}
HEADERS = {"nl": ("Van", "Aan", "Onderwerp", "Datum", "Tel."), "en": ("From", "To", "Subject", "Date", "Phone")}
TABLE_HEADERS = {"nl": ("Naam", "BSN", "Geboortedatum"), "en": ("Name", "BSN", "Date of birth")}
TABLE_SEPARATORS = {";": "table_semicolon", "\t": "table_tab", ",": "table_comma", " | ": "table_pipe"}


class CorpusGenerator:
    """Seeded documents with labels. Faker gives the sentences, names, companies and addresses."""

    def __init__(self, seed: int):
        from faker import Faker

        from zegel.dlp import detectors, wordlists
        self.rng = random.Random(seed)
        self.numbers = Numbers(self.rng)
        self.fakers = {"nl": Faker("nl_NL"), "en": Faker("en_US")}
        for offset, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed + offset)
        self.lists = {name: wordlists.shipped(name) for name in wordlists.SHIPPED}
        self.terms = sorted({term for terms in self.lists.values() for term in terms})
        self.list_finder = TermFinder(self.lists)
        self.keyword_finder = TermFinder({"bsn": detectors.KEYWORDS["bsn"]})
        self.pools = {language: self._pools(faker) for language, faker in self.fakers.items()}

    @staticmethod
    def _pools(faker) -> dict[str, list[str]]:
        """Faker is slow: draw sentences, names and addresses once and pick from them."""
        return {
            "sentence": [faker.sentence(nb_words=faker.random_int(6, 18)) for _ in range(4000)],
            "subject": [faker.sentence(nb_words=faker.random_int(3, 7)).rstrip(".") for _ in range(500)],
            "first": [faker.first_name() for _ in range(500)],
            "last": [faker.last_name() for _ in range(500)],
            "company": [faker.company() for _ in range(300)],
            "address": [faker.address() for _ in range(500)],
            "email": [faker.email() for _ in range(1000)],
        }

    def pick(self, language: str, pool: str) -> str:
        return self.rng.choice(self.pools[language][pool])

    def fill(self, builder: DocumentBuilder, template: str, entity: str, value: str, kind: str = "") -> None:
        """A template sentence with a labelled value for {x} and Faker names for the rest."""
        language = builder.language
        first, last = self.pick(language, "first"), self.pick(language, "last")
        template = template.replace("{name}", f"{first} {last}").replace("{first}", first).replace("{last}", last)
        before, after = template.split("{x}")
        builder.text(before)
        builder.entity(entity, value, kind)
        builder.text(after)

    def entity_sentence(self, builder: DocumentBuilder, what: str) -> None:
        templates = TEMPLATES[builder.language]
        numbers = self.numbers
        if what.startswith("bsn_"):
            valid = what.startswith("bsn_valid")
            eight = self.rng.random() < 0.2
            style = self.rng.choice(BSN8_FORMATS if eight else BSN_FORMATS)
            value = numbers.format_bsn(numbers.bsn_number(valid, eight), style)
            template = self.rng.choice(templates["bsn_keyword" if what.endswith("keyword") else "bsn_plain"])
            self.fill(builder, template, "bsn" if valid else "bsn_invalid", value, style)
        elif what.startswith("iban_"):
            country = self.rng.choice(("NL", "NL", "NL", "BE", "DE", "FR", "GB"))
            grouped = self.rng.random() < 0.5
            number = numbers.valid_iban(country) if what == "iban_valid" else numbers.invalid_iban(country)
            kind = f"{country}_{'grouped' if grouped else 'compact'}"
            self.fill(builder, self.rng.choice(templates["iban"]), "iban" if what == "iban_valid" else "iban_invalid",
                      numbers.format_iban(number, grouped), kind)
        elif what == "phone":
            value, style = numbers.phone()
            self.fill(builder, self.rng.choice(templates["phone"]), "phone_nl", value, style)
        elif what == "email":
            self.fill(builder, self.rng.choice(templates["email"]), "email", self.pick(builder.language, "email"))
        elif what == "order":
            length = self.rng.choice((9, 9, 9, 8))
            value = numbers.format_bsn(numbers.elfproef_failing(length),
                                       self.rng.choice(("compact", "compact", "spaces", "dashes")) if length == 9
                                       else "compact_8")
            self.fill(builder, self.rng.choice(templates["order"]), "decoy", value, "order")
        elif what == "kvk":
            self.fill(builder, self.rng.choice(templates["kvk"]), "decoy", numbers.elfproef_failing(8), "kvk")
        elif what == "invoice":
            self.fill(builder, self.rng.choice(templates["invoice"]), "decoy", numbers.invoice(), "invoice")
        elif what == "date":
            self.fill(builder, self.rng.choice(templates["date"]), "decoy", numbers.date(builder.language), "date")
        elif what == "amount":
            self.fill(builder, self.rng.choice(templates["amount"]), "decoy", numbers.amount(builder.language),
                      "amount")
        elif what == "term":
            self.fill(builder, self.rng.choice(templates["term"]), "wordlist", self.term_as_written())

    def term_as_written(self) -> str:
        """A word-list term as it is, capitalised, in capitals, or without its accents."""
        term = self.rng.choice(self.terms)
        style = self.rng.choice(("as is", "as is", "capitalised", "capitals", "no accents"))
        if style == "capitalised":
            return term[:1].upper() + term[1:]
        if style == "capitals":
            return term.upper()
        if style == "no accents":
            return "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
        return term

    def table(self, builder: DocumentBuilder) -> None:
        """A few rows pasted from a spreadsheet: name, BSN, date of birth."""
        separator = self.rng.choice(list(TABLE_SEPARATORS))
        builder.text(separator.join(TABLE_HEADERS[builder.language]) + "\n")
        for _ in range(self.rng.randint(2, 5)):
            name = f"{self.pick(builder.language, 'first')} {self.pick(builder.language, 'last')}"
            builder.text(name + separator)
            builder.entity("bsn", self.numbers.bsn_number(True), TABLE_SEPARATORS[separator])
            builder.text(separator + f"{self.rng.randint(1, 28):02d}-{self.rng.randint(1, 12):02d}-"
                         f"{self.rng.randint(1940, 2010)}\n")
        builder.text("\n")

    def paragraph(self, builder: DocumentBuilder) -> None:
        kinds, weights = list(SENTENCE_WEIGHTS), list(SENTENCE_WEIGHTS.values())
        sentences = ["filler"] * self.rng.randint(2, 6) + self.rng.choices(kinds, weights, k=self.rng.randint(0, 3))
        self.rng.shuffle(sentences)
        for i, what in enumerate(sentences):
            if i:
                builder.text(" ")
            if what == "filler":
                builder.text(self.pick(builder.language, "sentence"))
            else:
                self.entity_sentence(builder, what)

    def document(self) -> Document:
        language = self.rng.choice(("nl", "en"))
        builder = DocumentBuilder(language)
        sender_first, sender_last = self.pick(language, "first"), self.pick(language, "last")
        to_first, to_last = self.pick(language, "first"), self.pick(language, "last")
        sender_email = self.pick(language, "email")
        from_label, to_label, subject_label, date_label, phone_label = HEADERS[language]
        builder.text(f"{from_label}: {sender_first} {sender_last} <")
        builder.entity("email", sender_email)
        builder.text(f">\n{to_label}: {to_first} {to_last} <")
        builder.entity("email", self.pick(language, "email"))
        builder.text(f">\n{subject_label}: {self.pick(language, 'subject')}\n{date_label}: ")
        builder.entity("decoy", self.numbers.date(language), "date")
        builder.text("\n\n" + self.rng.choice(GREETINGS[language]).format(first=to_first, last=to_last) + "\n\n")
        paragraphs = self.rng.randint(2, 6)
        table_after = self.rng.randrange(paragraphs) if self.rng.random() < 0.03 else None
        for i in range(paragraphs):
            self.paragraph(builder)
            builder.text("\n\n")
            if i == table_after:
                self.table(builder)
        company, address = self.pick(language, "company"), self.pick(language, "address")
        builder.text(f"{self.rng.choice(CLOSINGS[language])}\n\n{sender_first} {sender_last}\n{company}\n{address}\n"
                     f"{phone_label} ")
        phone, style = self.numbers.phone()
        builder.entity("phone_nl", phone, style)
        builder.text("\n")
        builder.entity("email", sender_email)
        builder.text("\n")
        document = builder.build()
        self.label_terms(document)
        return document

    def label_terms(self, document: Document) -> None:
        """Label every word-list term in the text (not only the ones put there on purpose), and
        mark BSN-shaped numbers that have a BSN keyword within KEYWORD_WINDOW characters."""
        document.labels = [label for label in document.labels if label.entity != "wordlist"]
        for start, end, names in self.list_finder.find(document.text):
            document.labels.append(Label("wordlist", start, end, document.text[start:end], ",".join(sorted(names))))
        keywords = [(start, end) for start, end, _names in self.keyword_finder.find(document.text)]
        for label in document.labels:
            if label.entity in ("bsn", "bsn_invalid", "decoy"):
                label.keyword = any(end >= label.start - KEYWORD_WINDOW and start <= label.end + KEYWORD_WINDOW
                                    for start, end in keywords)

    def corpus(self, size_bytes: int) -> list[Document]:
        documents, total = [], 0
        while total < size_bytes:
            document = self.document()
            documents.append(document)
            total += len(document.text.encode("utf-8"))
        return documents


def corpus_bytes(documents: list[Document]) -> int:
    return sum(len(d.text.encode("utf-8")) for d in documents)


# --- Scoring --------------------------------------------------------------------------------------

@dataclass
class Found:
    """One finding, from either tool, in the benchmark's own terms."""
    entity: str  # bsn, iban, phone_nl, email, wordlist, or another detector's name
    start: int
    end: int
    high: bool


@dataclass
class Counts:
    found: int = 0
    found_correct: int = 0
    truth: int = 0
    truth_found: int = 0
    false_positives: Counter = field(default_factory=Counter)  # what a wrong finding overlapped
    false_negatives: Counter = field(default_factory=Counter)  # the kind of label that was missed
    examples: dict = field(default_factory=dict)  # one example string per reason

    def metrics(self) -> dict:
        precision = self.found_correct / self.found if self.found else 0.0
        recall = self.truth_found / self.truth if self.truth else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                "found": self.found, "truth": self.truth}


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def excerpt(text: str, start: int, end: int, around: int = 30) -> str:
    """The finding in its context, on one line."""
    piece = text[max(0, start - around):start] + "[" + text[start:end] + "]" + text[end:end + around]
    return " ".join(piece.split())


def evaluate(documents: list[Document], findings: list[list[Found]], entity: str, *, truth_test=None,
             found_test=None) -> Counts:
    """Precision counts findings that overlap a true span; recall counts true spans overlapped by a finding."""
    truth_test = truth_test or (lambda label: label.entity == entity)
    found_test = found_test or (lambda found: found.entity == entity)
    counts = Counts()
    for document, found_list in zip(documents, findings, strict=True):
        truth = [label for label in document.labels if truth_test(label)]
        found = [f for f in found_list if found_test(f)]
        counts.truth += len(truth)
        counts.found += len(found)
        for f in found:
            if any(overlaps(f.start, f.end, t.start, t.end) for t in truth):
                counts.found_correct += 1
                continue
            others = [f"{o.entity}:{o.kind}" if o.kind else o.entity for o in document.labels
                      if overlaps(f.start, f.end, o.start, o.end) and o.entity != "wordlist"]
            reason = others[0] if others else "unlabelled text"
            counts.false_positives[reason] += 1
            counts.examples.setdefault(f"FP {reason}", excerpt(document.text, f.start, f.end))
        for t in truth:
            if any(overlaps(f.start, f.end, t.start, t.end) for f in found):
                counts.truth_found += 1
                continue
            reason = t.kind or t.entity
            counts.false_negatives[reason] += 1
            counts.examples.setdefault(f"FN {reason}", excerpt(document.text, t.start, t.end))
    return counts


def is_elfproef_failing(label: Label) -> bool:
    return label.entity == "bsn_invalid" or (label.entity == "decoy" and label.kind in ("order", "kvk"))


def high_on_labels(documents: list[Document], findings: list[list[Found]], test) -> int:
    """High-confidence BSN findings that overlap a label for which ``test`` holds."""
    count = 0
    for document, found_list in zip(documents, findings, strict=True):
        for f in found_list:
            if f.entity == "bsn" and f.high and any(
                    test(label) and overlaps(f.start, f.end, label.start, label.end) for label in document.labels):
                count += 1
    return count


SCORED = ("bsn", "bsn_high", "iban", "phone_nl", "email", "wordlist")


def score_all(documents: list[Document], findings: list[list[Found]]) -> dict[str, Counts]:
    scores = {}
    for entity in SCORED:
        if entity == "bsn_high":
            scores[entity] = evaluate(documents, findings, entity,
                                      truth_test=lambda label: label.entity == "bsn" and label.keyword,
                                      found_test=lambda found: found.entity == "bsn" and found.high)
        else:
            scores[entity] = evaluate(documents, findings, entity)
    return scores


# --- Zegel ----------------------------------------------------------------------------------------

def zegel_matcher():
    """The three shipped word lists and the detectors' keywords in one automaton."""
    from zegel.dlp import detectors, wordlists
    return wordlists.TermMatcher({name: wordlists.shipped(name) for name in wordlists.SHIPPED}, detectors.KEYWORDS)


# What Presidio is configured to find here: the throughput ratio compares the same work.
COMPARED_DETECTORS = ("bsn", "iban", "phone_nl", "email")


def run_zegel(documents: list[Document], matcher, only=None) -> tuple[list[list[Found]], float]:
    """Findings per document, and the seconds that took (``only``: these detectors, or all)."""
    from zegel.dlp.service import find_entities
    out = []
    started = time.perf_counter()
    for document in documents:
        out.append(find_entities(document.text, matcher, only))
    elapsed = time.perf_counter() - started
    findings = [[Found("wordlist" if hit.detector.startswith("list:") else hit.detector, hit.start, hit.end,
                       hit.confidence == "high") for hit in hits] for hits in out]
    return findings, elapsed


# --- Presidio -------------------------------------------------------------------------------------

BSN_CONTEXT = ["burgerservicenummer", "burgerservice", "burger", "bsn", "sofinummer", "sofi", "persoonsnummer",
               "persoonsgebonden", "fiscaal", "citizen", "social"]
IBAN_CONTEXT = ["iban", "rekeningnummer", "rekening", "bankrekening", "overmaken", "gestort", "bank", "account"]
PHONE_CONTEXT = ["telefoon", "telefoonnummer", "tel", "bel", "bellen", "mobiel", "nummer", "phone", "call", "mobile"]
EMAIL_CONTEXT = ["email", "e-mail", "mail", "mailen"]
PRESIDIO_ENTITIES = {"BSN": "bsn", "IBAN_CODE": "iban", "PHONE_NL": "phone_nl", "EMAIL_ADDRESS": "email",
                     "LIST_MEDICAL": "wordlist", "LIST_PERSONAL": "wordlist", "LIST_FINANCIAL": "wordlist"}


def _register_lemma_component():
    """A blank spaCy pipeline has no lemmas, and Presidio compares context words with lemmas: this
    component makes every token's lemma its lower-case text, so the context words can match."""
    from spacy.attrs import LEMMA, LOWER
    from spacy.language import Language

    if "bench_lower_lemma" not in Language.factories:
        @Language.component("bench_lower_lemma")
        def lower_lemma(doc):
            doc.from_array([LEMMA], doc.to_array([LOWER]).reshape(-1, 1))  # in one go, not token by token
            return doc


def presidio_analyzer(model_dir: str):
    """An AnalyzerEngine for Dutch with pattern recognizers doing what Zegel's detectors do."""
    import phonenumbers
    import spacy
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import IbanRecognizer
    from stdnum.nl import bsn as std_bsn

    from zegel.dlp import detectors, wordlists

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    _register_lemma_component()
    nlp = spacy.blank("nl")
    nlp.add_pipe("bench_lower_lemma")
    nlp.to_disk(model_dir)

    class BsnRecognizer(PatternRecognizer):
        """Zegel's BSN expression; the elfproef drops a candidate. Passing it is not reported as a
        validation, which would set the score to 1.0 and leave the context words nothing to do."""

        def invalidate_result(self, pattern_text: str) -> bool:
            digits = re.sub(r"\D", "", pattern_text)
            return len(digits) not in (8, 9) or not std_bsn.is_valid(digits.zfill(9))

    class PhoneNlRecognizer(PatternRecognizer):
        """Zegel's phone expression, validated with phonenumbers as a Dutch number."""

        def validate_result(self, pattern_text: str) -> bool:
            try:
                number = phonenumbers.parse(pattern_text, "NL")
            except phonenumbers.NumberParseException:
                return False
            return number.country_code == 31 and phonenumbers.is_valid_number(number)

    recognizers = [
        BsnRecognizer(supported_entity="BSN", supported_language="nl", context=BSN_CONTEXT,
                      patterns=[Pattern("BSN", detectors._BSN.pattern, 0.3)]),
        IbanRecognizer(supported_language="nl", context=IBAN_CONTEXT),
        PhoneNlRecognizer(supported_entity="PHONE_NL", supported_language="nl", context=PHONE_CONTEXT,
                          patterns=[Pattern("Phone NL", detectors._PHONE.pattern, 0.4)]),
        PatternRecognizer(supported_entity="EMAIL_ADDRESS", supported_language="nl", context=EMAIL_CONTEXT,
                          patterns=[Pattern("E-mail", detectors._EMAIL.pattern, 0.5)]),
    ]
    for name in wordlists.SHIPPED:
        recognizers.append(PatternRecognizer(supported_entity=f"LIST_{name.upper()}", supported_language="nl",
                                             deny_list=list(wordlists.shipped(name)), name=f"List {name}"))
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["nl"])
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                                    "models": [{"lang_code": "nl", "model_name": model_dir}]})
    # Context words up to about 30 words before or after a match: roughly Zegel's 300 characters.
    enhancer = LemmaContextAwareEnhancer(context_prefix_count=30, context_suffix_count=30)
    return AnalyzerEngine(registry=registry, nlp_engine=provider.create_engine(), supported_languages=["nl"],
                          context_aware_enhancer=enhancer)


def run_presidio(documents: list[Document], analyzer) -> tuple[list[list[Found]], float]:
    out = []
    started = time.perf_counter()
    for document in documents:
        out.append(analyzer.analyze(text=document.text, language="nl"))
    elapsed = time.perf_counter() - started
    findings = [[Found(PRESIDIO_ENTITIES.get(r.entity_type, r.entity_type), r.start, r.end,
                       r.score >= PRESIDIO_HIGH) for r in results] for results in out]
    return findings, elapsed


def first_megabytes(documents: list[Document], size_bytes: int) -> list[Document]:
    """The first documents, up to ``size_bytes`` (all of them for 0)."""
    if not size_bytes:
        return documents
    out, total = [], 0
    for document in documents:
        if total >= size_bytes:
            break
        out.append(document)
        total += len(document.text.encode("utf-8"))
    return out


# --- Latency with a PDF attachment ---------------------------------------------------------------

def body_text(documents: list[Document], size_bytes: int) -> str:
    """About ``size_bytes`` of mail text, from the end of the corpus."""
    parts, total = [], 0
    for document in reversed(documents):
        parts.append(document.text)
        total += len(document.text.encode("utf-8"))
        if total >= size_bytes:
            break
    return "\n".join(parts).encode("utf-8")[:size_bytes].decode("utf-8", errors="ignore")


def pdf_lines(documents: list[Document]):
    """The corpus as lines of at most 95 characters, over and over."""
    while True:
        for document in documents:
            for paragraph in document.text.splitlines():
                yield from textwrap.wrap(paragraph, 95) or [""]


def add_text_page(pdf, lines) -> int:
    """One A4 page of 72 lines of 9-point text; returns the characters written."""
    written = 0
    text = pdf.beginText(40, 800)
    text.setFont("Helvetica", 9)
    for _ in range(72):
        line = next(lines)
        text.textLine(line.encode("cp1252", errors="replace").decode("cp1252"))  # the standard fonts' encoding
        written += len(line)
    pdf.drawText(text)
    pdf.showPage()
    return written


def text_pdf(documents: list[Document], text_chars: int) -> tuple[bytes, int]:
    """A PDF of pages of corpus text, about ``text_chars`` characters in all, with uncompressed page
    contents: (bytes, pages)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    lines, written, pages = pdf_lines(documents), 0, 0
    while written < text_chars:
        written += add_text_page(pdf, lines)
        pages += 1
    pdf.save()
    return buffer.getvalue(), pages


def text_only_pdf(documents: list[Document], size_bytes: int) -> tuple[bytes, int]:
    """As much text as fits in about ``size_bytes`` of PDF. Uncompressed, so that it stays under the
    extractor's 500-page limit (compressed, 2 MB of text PDF is some 900 pages): the heaviest 2 MB
    PDF to read that is still read completely."""
    trial, _pages = text_pdf(documents, size_bytes // 2)
    return text_pdf(documents, int(size_bytes // 2 * size_bytes / len(trial)))


def mixed_pdf(documents: list[Document], size_bytes: int, text_pages: int = 12) -> tuple[bytes, int]:
    """A few compressed pages of text and a photo-like (incompressible) image making up the size:
    what a 2 MB attachment more often is."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    lines = pdf_lines(documents)
    for _ in range(text_pages):
        add_text_page(pdf, lines)
    side = int(math.sqrt((size_bytes - text_pages * 4000) / 3 / 1.25))  # reportlab writes images in ASCII85
    noise = random.Random(SEED).randbytes(side * side * 3)
    pdf.drawImage(ImageReader(Image.frombytes("RGB", (side, side), noise)), 40, 200, width=500, height=500)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), text_pages + 1


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def time_scans(body: str, pdf: bytes, matcher, runs: int) -> dict:
    """Extraction of the PDF in the sandbox plus detection on the body and on the PDF's text."""
    from zegel.dlp.sandbox import extract_in_sandbox
    from zegel.dlp.service import find_entities
    totals, extraction, detection = [], [], []
    chars, problems = 0, []
    for run in range(runs + 1):  # the first run starts the forkserver: not counted
        started = time.perf_counter()
        extracted = extract_in_sandbox("x.pdf", pdf)
        extracted_at = time.perf_counter()
        find_entities(body, matcher)
        for _inner, text in extracted.texts:
            find_entities(text, matcher)
        finished = time.perf_counter()
        if run:
            totals.append((finished - started) * 1000)
            extraction.append((extracted_at - started) * 1000)
            detection.append((finished - extracted_at) * 1000)
        chars, problems = sum(len(text) for _inner, text in extracted.texts), extracted.problems
    return {"p95_ms": round(percentile(totals, 0.95), 1), "median_ms": round(statistics.median(totals), 1),
            "extract_median_ms": round(statistics.median(extraction), 1),
            "detect_median_ms": round(statistics.median(detection), 1), "pdf_text_chars": chars,
            "problems": problems}


def time_product_scans(body: str, pdf: bytes, runs: int) -> dict:
    """The scan as the product runs it when the user adds the PDF: the organisation's rules (here the
    shipped defaults) over the body, the file's name and its text, findings with their messages."""
    import flask
    import flask_babel

    from zegel.dlp import rules as rules_mod
    from zegel.dlp import service, wordlists
    rules = [rules_mod.Rule(str(i), r["name"], r["detector"], r["level"], r["min_confidence"],
                            frozenset(r["locations"].split(","))) for i, r in enumerate(rules_mod.DEFAULT_RULES)]
    lists = {name: wordlists.shipped(name) for name in wordlists.SHIPPED}
    app = flask.Flask("bench")
    flask_babel.Babel(app)
    totals = []
    with app.app_context():
        for run in range(runs + 1):
            started = time.perf_counter()
            scanner = service.Scanner(rules, lists)
            segments, problems = service._attachment_segments([service.Attachment("x.pdf", data=pdf)])
            scanner.scan([service.Segment("subject", "Uitslag"), service.Segment("body", body)] + segments, problems)
            if run:
                totals.append((time.perf_counter() - started) * 1000)
    return {"p95_ms": round(percentile(totals, 0.95), 1), "median_ms": round(statistics.median(totals), 1)}


# --- Output ---------------------------------------------------------------------------------------

def print_scores(title: str, scores: dict[str, Counts], details: bool) -> None:
    print(title)
    for entity, counts in scores.items():
        m = counts.metrics()
        print(f"  {entity:<10} precision {m['precision']:.4f}  recall {m['recall']:.4f}  F1 {m['f1']:.4f}"
              f"  (found {m['found']}, labelled {m['truth']})")
        if not details:
            continue
        for reason, count in counts.false_positives.most_common(6):
            print(f"      false positive on {reason}: {count}, e.g. {counts.examples[f'FP {reason}']!r}")
        for reason, count in counts.false_negatives.most_common(6):
            print(f"      missed {reason}: {count}, e.g. {counts.examples[f'FN {reason}']!r}")


def label_summary(documents: list[Document]) -> Counter:
    summary = Counter()
    for document in documents:
        for label in document.labels:
            summary[label.entity + (" (keyword near)" if label.keyword and label.entity.startswith("bsn") else "")] += 1
    return summary


def other_detectors(documents: list[Document], findings: list[list[Found]]) -> tuple[Counter, dict[str, str]]:
    """Findings of the detectors that are not scored (card, VAT, passport, BIG): the corpus has none
    of these, so every one is a false positive. Counted by detector and what they overlapped, with
    one example each."""
    counts, examples = Counter(), {}
    for document, found in zip(documents, findings, strict=True):
        for f in found:
            if f.entity in SCORED:
                continue
            under = [f"{label.entity}:{label.kind}" if label.kind else label.entity for label in document.labels
                     if overlaps(f.start, f.end, label.start, label.end) and label.entity != "wordlist"]
            reason = f"{f.entity} on {under[0] if under else 'unlabelled text'}"
            counts[reason] += 1
            examples.setdefault(reason, excerpt(document.text, f.start, f.end))
    return counts, examples


def measure_zegel(documents: list[Document], matcher, runs: int) -> dict:
    """Throughput and scores of find_entities, printed; the figures for the JSON line."""
    size = corpus_bytes(documents)
    findings, _elapsed = run_zegel(documents, matcher)  # all detectors (scored below); also the warm-up
    all_seconds = statistics.median(run_zegel(documents, matcher)[1] for _ in range(runs))
    seconds = statistics.median(run_zegel(documents, matcher, COMPARED_DETECTORS)[1] for _ in range(runs))
    mb_s = size / 1e6 / seconds
    all_mb_s = size / 1e6 / all_seconds
    print(f"\nZegel find_entities, 3 word lists + {', '.join(COMPARED_DETECTORS)} (what Presidio runs): "
          f"{mb_s:.1f} MB/s (median of {runs} runs, {seconds:.2f} s per run)")
    print(f"Zegel find_entities, 3 word lists + all {len(COMPARED_DETECTORS) + 4} detectors: {all_mb_s:.1f} MB/s")
    scores = score_all(documents, findings)
    print_scores("Zegel", scores, details=True)
    high_on_invalid = high_on_labels(documents, findings, is_elfproef_failing)
    high_on_other = high_on_labels(documents, findings, lambda label: label.entity not in ("bsn", "wordlist"))
    print(f"  high-confidence BSN findings on numbers failing the elfproef: {high_on_invalid}")
    print(f"  high-confidence BSN findings on anything but a BSN (phone numbers, amounts, ...): {high_on_other}")
    others, other_examples = other_detectors(documents, findings)
    print(f"  findings of the other detectors (none expected): {dict(others) or 'none'}")
    for name, example in other_examples.items():
        print(f"      {name}, e.g. {example!r}")
    return {
        "findings": findings,
        "zegel_mb_s": round(mb_s, 2),
        "zegel_all_detectors_mb_s": round(all_mb_s, 2),
        **{entity: scores[entity].metrics() for entity in SCORED},
        "bsn_high_on_invalid": high_on_invalid,
        "bsn_high_on_non_bsn": high_on_other,
        "bsn_false_positives": dict(scores["bsn"].false_positives),
        "bsn_missed": dict(scores["bsn"].false_negatives),
        "phone_nl_false_positives": dict(scores["phone_nl"].false_positives),
        "phone_nl_missed": dict(scores["phone_nl"].false_negatives),
        "other_detector_findings": dict(others),
    }


def measure_presidio(documents: list[Document], zegel_findings: list[list[Found]], size_bytes: int) -> dict:
    """Presidio on the corpus (or its first ``size_bytes``), printed; the figures for the JSON line."""
    subset = first_megabytes(documents, size_bytes)
    size = corpus_bytes(subset)
    with tempfile.TemporaryDirectory() as model_dir:
        started = time.perf_counter()
        analyzer = presidio_analyzer(model_dir)
        setup = time.perf_counter() - started
        analyzer.analyze(text=documents[0].text, language="nl")  # warm-up
        findings, elapsed = run_presidio(subset, analyzer)
    mb_s = size / 1e6 / elapsed
    where = "the whole corpus" if subset is documents else f"the first {size / 1e6:.2f} MB"
    print(f"\nPresidio {_version('presidio-analyzer')} (blank spaCy 'nl', set up in {setup:.1f} s) on {where}: "
          f"{mb_s:.2f} MB/s ({elapsed:.1f} s, one run)")
    scores = score_all(subset, findings)
    print_scores("Presidio", scores, details=False)
    high_on_invalid = high_on_labels(subset, findings, is_elfproef_failing)
    print(f"  high-confidence (score >= {PRESIDIO_HIGH}) BSN findings on numbers failing the elfproef: "
          f"{high_on_invalid}")
    figures = {"presidio_mb_s": round(mb_s, 3), "presidio_corpus_mb": round(size / 1e6, 3),
               "presidio": {**{entity: scores[entity].metrics() for entity in SCORED},
                            "bsn_high_on_invalid": high_on_invalid}}
    if subset is not documents:
        same = score_all(subset, zegel_findings[:len(subset)])
        print_scores(f"Zegel on the same {size / 1e6:.2f} MB", same, details=False)
        figures["zegel_on_presidio_subset"] = {entity: same[entity].metrics() for entity in SCORED}
    return figures


def measure_latency(documents: list[Document], matcher, runs: int) -> dict:
    """The scan of a 20 KB body plus a 2 MB PDF, with two kinds of PDF, printed; the JSON figures."""
    body = body_text(documents, BODY_BYTES)
    print(f"\nscan of a {len(body.encode('utf-8')) / 1000:.0f} KB body plus a PDF ({runs} runs; "
          "extraction in the sandbox, then find_entities on the body and on the PDF's text):")
    out = {"body_bytes": len(body.encode("utf-8"))}
    for key, name, build in (("text_only_pdf", "text-only PDF", text_only_pdf),
                             ("text_and_photo_pdf", "text-and-photo PDF", mixed_pdf)):
        pdf, pages = build(documents, PDF_BYTES)
        result = time_scans(body, pdf, matcher, runs)
        problems = f", problems {result['problems']}" if result["problems"] else ""
        print(f"  {name}: {len(pdf) / 1e6:.2f} MB, {pages} pages, {result['pdf_text_chars']} characters of text"
              f"{problems}: p95 {result['p95_ms']} ms, median {result['median_ms']} ms "
              f"(extraction {result['extract_median_ms']} ms, detection {result['detect_median_ms']} ms)")
        product = time_product_scans(body, pdf, runs)
        print(f"    the same as the product scans it (shipped default rules): p95 {product['p95_ms']} ms, "
              f"median {product['median_ms']} ms")
        out[key] = {"pdf_bytes": len(pdf), "pages": pages, **result, "product_scan": product}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=4.0, help="corpus size in MB (default 4)")
    parser.add_argument("--presidio-mb", type=float, default=0.0,
                        help="run Presidio on the first this many MB only (default: the whole corpus)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of Zegel over the corpus (median)")
    parser.add_argument("--latency-runs", type=int, default=LATENCY_RUNS)
    args = parser.parse_args()
    began = time.perf_counter()

    documents = CorpusGenerator(SEED).corpus(int(args.size_mb * 1_000_000))
    size = corpus_bytes(documents)
    print(f"corpus: {len(documents)} documents, {size / 1e6:.2f} MB (MB = 10^6 bytes of UTF-8), "
          f"generated in {time.perf_counter() - began:.1f} s")
    print("labels: " + ", ".join(f"{name} {count}" for name, count in sorted(label_summary(documents).items())))

    matcher = zegel_matcher()
    zegel = measure_zegel(documents, matcher, args.runs)
    findings = zegel.pop("findings")
    presidio = measure_presidio(documents, findings, int(args.presidio_mb * 1_000_000))
    ratio = zegel["zegel_mb_s"] / presidio["presidio_mb_s"]
    print(f"\nthroughput ratio Zegel / Presidio: {ratio:.1f} x")
    latency = measure_latency(documents, matcher, args.latency_runs)

    # The headline: the product's own scan (the organisation's rules) of the harder, text-only PDF.
    p95 = latency["text_only_pdf"]["product_scan"]["p95_ms"]
    figures = {
        "corpus_mb": round(size / 1e6, 3),
        "documents": len(documents),
        "zegel_mb_s": zegel.pop("zegel_mb_s"),
        "presidio_mb_s": presidio.pop("presidio_mb_s"),
        "throughput_ratio": round(ratio, 1),
        **zegel,
        **presidio,
        "p95_latency_ms": p95,
        "latency": latency,
        "targets_met": {
            "bsn_f1": zegel["bsn"]["f1"] >= 0.99,
            "iban_f1": zegel["iban"]["f1"] >= 0.99,
            "bsn_high_on_invalid": zegel["bsn_high_on_invalid"] == 0,
            "throughput_ratio": ratio >= 50,
            "p95_latency": p95 < 300,
        },
        "seconds": round(time.perf_counter() - began, 1),
    }
    print(json.dumps(figures))


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)


if __name__ == "__main__":
    sys.exit(main())
