"""Each detector on valid, invalid and edge formats; keyword windows; word lists with accents and case."""
from __future__ import annotations

import pytest

from zegel.dlp import detectors
from zegel.dlp.service import find_entities
from zegel.dlp.wordlists import TermMatcher, fold, shipped


def found(text: str, detector: str) -> list[tuple[str, str]]:
    return [(h.value, h.confidence) for h in find_entities(text) if h.detector == detector]


@pytest.mark.parametrize("text,value", [
    ("bsn 111222333", "111222333"),
    ("BSN: 1112.22.333", "1112.22.333"),
    ("BSN 111 222 333.", "111 222 333"),
    ("BSN 111-222-333", "111-222-333"),
    ("sofinummer 12.345.672", "12.345.672"),       # 8 digits: read with a leading zero
    ("burgerservicenummer 12345672", "12345672"),
    ("(BSN 111222333)", "111222333"),
    ("naam,bsn\nJansen,111222333,Amsterdam", "111222333"),  # a CSV row
    ("BSN-111222333", "111222333"),
    ("BSN nr.111222333", "111222333"),
])
def test_bsn_formats_with_a_keyword_are_high(text, value):
    assert found(text, "bsn") == [(value, "high")]


@pytest.mark.parametrize("text", [
    "bsn 111222334",            # fails the elfproef
    "bsn 1112223330",           # ten digits
    "bsn 11122233",             # 8 digits that fail when zero-padded
    "bsn 000000000",            # all zeros pass the arithmetic, but are no number
    "bsn 111.222-333",          # mixed separators
    "IBAN NL91ABNA0417164300",  # digits inside an account number
    "bsn 1112223331111",
    "bestelnummer 111222333a",
    "bsn? bel 06 12345672",      # the rest of a mobile number
    "bsn? bel +31 (0)6 12345672",
    "bsn? totaal EUR 23.355.852",  # an amount
    "bsn? totaal € 29.842.311,-",
])
def test_not_a_bsn(text):
    assert found(text, "bsn") == []


def test_a_valid_bsn_without_keyword_is_low_and_the_window_is_300_characters():
    assert found("Ordernummer 111222333 is verzonden.", "bsn") == [("111222333", "low")]
    assert found("bsn" + " " * 297 + "111222333", "bsn") == [("111222333", "high")]
    assert found("bsn" + " x" * 149 + "  111222333", "bsn") == [("111222333", "high")]  # 300 characters between
    assert found("bsn" + " x" * 150 + " 111222333", "bsn") == [("111222333", "low")]    # 301
    assert found("111222333" + " y" * 149 + " bsn", "bsn") == [("111222333", "high")]  # after it too: 299
    assert found("111222333" + " y" * 151 + " bsn", "bsn") == [("111222333", "low")]   # 303


@pytest.mark.parametrize("text,value", [
    ("NL91ABNA0417164300", "NL91ABNA0417164300"),
    ("rekening NL91 ABNA 0417 1643 00 graag", "NL91 ABNA 0417 1643 00"),
    ("BE68539007547034", "BE68539007547034"),
    ("DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
    ("GB82WEST12345698765432.", "GB82WEST12345698765432"),
])
def test_iban(text, value):
    assert found(text, "iban") == [(value, "high")]


@pytest.mark.parametrize("text,value", [
    ("nl91abna0417164300", "nl91abna0417164300"),
    ("NL91-ABNA-0417-1643-00", "NL91-ABNA-0417-1643-00"),
    ("NL91ABNA0417164300 en verder", "NL91ABNA0417164300"),
])
def test_iban_in_lower_case_with_dashes_or_followed_by_words(text, value):
    assert found(text, "iban") == [(value, "high")]


def test_ibans_and_bsns_next_to_each_other():
    hits = find_entities("NL50RBRB6588881855 Rekening NL89 RBRB 8843 2912 30 (ten name van)")
    assert [h.value for h in hits if h.detector == "iban"] == ["NL50RBRB6588881855", "NL89 RBRB 8843 2912 30"]
    hits = find_entities("IBAN: BE51363788001162 139 821 909 is het burgerservicenummer")
    assert sorted((h.detector, h.value) for h in hits) == [("bsn", "139 821 909"), ("iban", "BE51363788001162")]


def test_no_card_or_phone_number_inside_an_iban():
    text = "FR76 0024 7377 5279 5342 0655 320 en NL91 FVLB 0514 0886 79"
    assert {h.detector for h in find_entities(text)} == {"iban"}


@pytest.mark.parametrize("text", ["NL91ABNA0417164301", "NL91 ABNA 0417", "XX91ABNA0417164300", "nl91abna0417164300x",
                                  "NL91ABNA04171643001"])
def test_not_an_iban(text):
    assert found(text, "iban") == []


def test_payment_cards_need_luhn_and_are_high_only_with_a_keyword():
    assert found("creditcard 4111 1111 1111 1111", "card") == [("4111 1111 1111 1111", "high")]
    assert found("nummer 5555555555554444", "card") == [("5555555555554444", "low")]
    assert found("creditcard 4111 1111 1111 1112", "card") == []


@pytest.mark.parametrize("text,ok", [("btw NL000099998B57", True), ("NL 0000 99998 B57", False),
                                     ("NL000099998B58", False)])
def test_dutch_vat(text, ok):
    assert bool(found(text, "vat_nl")) is ok


def test_passport_and_big_numbers_need_their_keyword_close_by():
    assert found("paspoort SPECI2014", "passport_nl") == [("SPECI2014", "high")]
    assert found("code SPECI2014", "passport_nl") == []
    assert found("ID-kaart: IR5H21JK3", "passport_nl") == [("IR5H21JK3", "high")]
    assert found("BIG-nummer 19012345601", "big") == [("19012345601", "high")]
    assert found("factuur 19012345601", "big") == []
    assert found("Een big probleem: 19012345601", "big") == []  # "big" the English word


@pytest.mark.parametrize("text,ok", [("bel 06-12345678", True), ("bel +31 20 123 4567", True),
                                     ("bel 0031612345678", True), ("bel (076) 259 09 49", True),
                                     ("bel 020 - 123 45 67", True), ("bel +31 (0)6 12345672", True),
                                     ("bel 06-1234567", False), ("bel 00-12345678", False)])
def test_dutch_phone_numbers(text, ok):
    assert bool(found(text, "phone_nl")) is ok


def test_email_addresses_of_others_only():
    hits = detectors.find_email("van a@zorg.nl aan piet@voorbeeld.nl", [], frozenset({"a@zorg.nl"}))
    assert [h.value for h in hits] == ["piet@voorbeeld.nl"]


def test_word_lists_ignore_case_and_accents_and_match_whole_words():
    matcher = TermMatcher({"medical": ("huisarts", "patiënt", "medisch dossier")}, {})
    hits = matcher.find("De HUISARTS, de Patient en het Medisch\nDossier; geen huisartsen of superhuisarts.")
    assert [(h.name, h.found) for h in hits] == [("medical", "HUISARTS"), ("medical", "Patient"),
                                                 ("medical", "Medisch\nDossier")]
    assert fold("Ëén Straße") == "een strase" and len(fold("İ")) == 1


def test_the_shipped_lists_are_there():
    for name in ("medical", "personal", "financial"):
        assert len(shipped(name)) >= 250
    assert "huisarts" in shipped("medical") and "bsn" in shipped("personal")


def test_phone_validation_agrees_with_phonenumbers():
    """The detector checks numbers against phonenumbers' own patterns for NL instead of parsing each
    one; on thousands of generated numbers in every written form it must agree with is_valid_number."""
    import random

    import phonenumbers

    from zegel.dlp.detectors import _PHONE, valid_dutch_number
    rng = random.Random(7)
    forms = ["0{a}{b}", "0{a}-{b}", "+31 {a} {b}", "+31 (0){a} {b}", "0031{a}{b}", "(0{a}) {b}", "0{a} - {b}"]
    checked = 0
    for _ in range(6000):
        area = rng.choice(["6", "10", "20", "30", "50", "76", "85", "88", "91", "97", "800", "900", "66", "172"])
        text = rng.choice(forms).format(a=area, b="".join(rng.choice("0123456789") for _ in range(rng.randint(6, 9))))
        if not _PHONE.fullmatch(text):
            continue
        checked += 1
        parsed = phonenumbers.parse(text, "NL")
        assert valid_dutch_number(text) == (parsed.country_code == 31 and phonenumbers.is_valid_number(parsed)), text
    assert checked > 2000
