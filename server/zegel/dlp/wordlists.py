"""Word lists and keywords, found in one pass over the text with an Aho-Corasick automaton.

Matching is on whole words and ignores case and accents: the text and the terms are folded the
same way ("Patiënt" and "patient" meet) by a translation that keeps every character in its
place, so a match's position is its position in the original text."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ahocorasick

SHIPPED_DIR = Path(__file__).with_name("wordlists")
SHIPPED = ("medical", "personal", "financial")


def _fold_table() -> dict[int, str]:
    """One character for one character: accented Latin letters to their base letter."""
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if len(base) == 1 and base != char:
            table[code] = base
    table[ord("ß")] = "s"  # "ss" would shift every later position by one
    table[ord("İ")] = "I"
    table[ord("\u2019")] = "'"  # a typographic apostrophe, as word processors write it
    table[ord("\u2018")] = "'"
    for space in "\t\n\r\x0b\x0c\xa0\u2007\u202f":  # a phrase may break over a line
        table[ord(space)] = " "
    return table


_FOLD = _fold_table()
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# For matching whole words: every byte that is not a letter or digit becomes a space.
_ASCII_WORDS = bytes(c if chr(c).isalnum() else 32 for c in range(256))


def _fold_char(match: re.Match) -> str:
    return _FOLD.get(ord(match.group()), match.group())


def fold(text: str) -> str:
    """Lower case without accents, one character for one character (positions stay valid)."""
    folded = (_NON_ASCII.sub(_fold_char, text) if not text.isascii() else text).lower()
    if len(folded) != len(text):  # a rare character that lower() lengthens: fold one by one
        folded = "".join((c.translate(_FOLD).lower() or " ")[0] for c in text)
    return folded


def words(text: str) -> str:
    """``fold`` with everything but letters and digits as spaces, so terms can be matched as whole
    words by putting a space on either side ("bsn-nummer" and "bsn nummer" alike)."""
    folded = fold(text)
    if not folded.isascii():
        # The few characters outside ASCII that folding left: a sign or dash becomes a space, a
        # letter (ø, æ, Greek, …) the letter q, so that the rest can go through the byte table.
        # Terms go through the same function, so they still meet.
        folded = _NON_ASCII.sub(lambda m: "q" if m.group().isalnum() else " ", folded)
    return folded.encode("ascii").translate(_ASCII_WORDS).decode("ascii")  # fast: a table in C


def read_list(path: Path) -> list[str]:
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            terms.append(line)
    return terms


@cache
def shipped(name: str) -> tuple[str, ...]:
    return tuple(read_list(SHIPPED_DIR / f"{name}.txt"))


@dataclass(frozen=True)
class TermHit:
    kind: str  # "list" or "keyword"
    name: str  # the list's name, or the detector whose keyword it is
    start: int
    end: int
    found: str  # the text as written


class TermMatcher:
    """All lists and keywords in one automaton. Terms and text are both turned into ``words`` and
    each term is searched with a space on either side, so only whole words match and the
    automaton reports no matches inside longer words."""

    def __init__(self, lists: dict[str, tuple[str, ...]], keywords: dict[str, tuple[str, ...]]):
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, str]]] = {}
        for kind, groups in (("list", lists), ("keyword", keywords)):
            for name, terms in groups.items():
                for term in terms:
                    key = " ".join(words(term).split())
                    if key:
                        entries.setdefault(f" {key} ", []).append((kind, name))
        for key, owners in entries.items():
            self._automaton.add_word(key, (len(key), tuple(owners)))
        self.empty = not entries
        if not self.empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[TermHit]:
        if self.empty or not text:
            return []
        padded = f" {words(text)} "
        hits = []
        for end_index, (length, owners) in self._automaton.iter(padded):
            # In ``text``: the key without its spaces, less the leading space of ``padded``.
            start, end = end_index - length + 1, end_index - 1
            for kind, name in owners:
                hits.append(TermHit(kind, name, start, end, text[start:end]))
        return hits


def clean_terms(raw: str) -> list[str]:
    """An organisation's list as typed: one term per line, blank lines and duplicates dropped."""
    seen, out = set(), []
    for line in raw.splitlines():
        term = " ".join(line.split())
        key = fold(term)
        if term and key not in seen:
            seen.add(key)
            out.append(term[:100])
    return out
