"""Identifiers replaced by placeholders before a question is logged, and ordinary health text left alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import Scrubber, scrub


@pytest.mark.parametrize(("text", "expected"), [
    # e-mail addresses, of any script, with the sentence's full stop kept
    ("write to john.doe+meds@example.co.uk.", "write to [email]."),
    ("Jürgen.Müller@beispiel.de hat gefragt", "[email] hat gefragt"),
    # US phone formats
    ("call me at (555) 123-4567 please", "call me at [phone] please"),
    ("555-123-4567", "[phone]"),
    ("555.123.4567", "[phone]"),
    ("+1 555 123 4567", "[phone]"),
    ("5551234567", "[phone]"),
    ("1-555-123-4567 or 1 (212) 555-0187", "[phone] or [phone]"),
    ("my number is 212-555-0187, text me", "my number is [phone], text me"),
    ("her landline is 555-1234", "her landline is [phone]"),
    ("011 44 20 7946 0958", "[phone]"),
    # international formats
    ("+44 20 7946 0958", "[phone]"),
    ("+33 1 42 68 53 00", "[phone]"),
    ("+49 30 901820", "[phone]"),
    ("+91 98765 43210", "[phone]"),
    # and a few more identifiers
    ("my SSN is 123-45-6789", "my SSN is [ssn]"),
    ("ssn 536 90 4399", "ssn [ssn]"),
    ("card 4111 1111 1111 1111 expired", "card [card] expired"),
    ("4111-1111-1111-1111 and 5500005555555559", "[card] and [card]"),
    ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [iban] please"),
    ("from 192.168.1.10 and 2001:db8::1", "from [ip] and [ip]"),
    ("member id 123456789012, MRN 987654321", "member id [number], MRN [number]"),
    ("see https://user:pw@mychart.example.org:8443/patient/123?token=abc.", "see https://mychart.example.org:8443/[path]."),
    ("www.example.org/u/jane-smith", "www.example.org/[path]"),
    ("(see https://example.org/wiki/Foo_(bar)).", "(see https://example.org/[path])."),
    ("http://host:port/x", "[url]"),
])
def test_identifiers_become_placeholders(text: str, expected: str):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "Can I take 2 mg of Klonopin?",
    "0.5mg three times a day, then 0.25 mg",
    "taking 10-20 mg every 4-6 hours",
    "500 mg twice daily for 10 days",
    "I am 45 years old and was born in 1987",
    "took it at 10:30 and again at 22:15:00",
    "since 2024-05-12, or 12/05/2023, or 12.05.2023, or 05/12/23",
    "a helpline open 24/7",
    "blood pressure 120/80, pulse 72",
    "HbA1c 6.5% in 2021 and 7.2 in 2022",
    "1 in 10,000 people; 1,000,000 units",
    "call 911 or 988",
    "between 2015-2016 and 2019/2020",
    "from 8 to 12 weeks, 3 to 4 times a day",
    "lot 20240512",  # eight digits: a date or a lot, not an identifier
    "2 tablets@8pm",
    "ICD-10 F11.20",
    "version v1.2.3.4 of the app",
    "www.nih.gov and https://medlineplus.gov/ are fine",
    "What are the symptoms of Klonopin withdrawal?",
])
def test_ordinary_health_text_is_left_alone(text: str):
    assert scrub(text) == text


def test_toll_free_helplines_and_drug_codes_are_kept():
    """A toll-free number names a service, never a person; NDC drug codes are grouped as no phone is."""
    assert scrub("is 1-800-273-8255 still the crisis line?") == "is 1-800-273-8255 still the crisis line?"
    assert scrub("NDC 50580-506-02 and 0093-7180-56") == "NDC 50580-506-02 and 0093-7180-56"


def test_find_reports_kind_and_place_without_overlaps():
    text = "mail a@b.org or call 212-555-0187 from https://x.org/a@b.org"
    found = scrub.find(text)
    assert [(f.kind, text[f.start:f.end]) for f in found] == [
        ("email", "a@b.org"), ("phone", "212-555-0187"), ("url", "https://x.org/a@b.org")]


def test_scrubbing_twice_changes_nothing_more():
    once = scrub("x@y.com, 555-123-4567, https://a.org/p?q=1, 123-45-6789")
    assert once == "[email], [phone], https://a.org/[path], [ssn]"
    assert scrub(once) == once


def test_national_formats_of_other_regions_are_read_when_given():
    text = "ring 020 7946 0958"
    assert scrub(text) == text  # read as dialled in the US: not a number
    assert Scrubber(regions=("US", "GB"))(text) == "ring [phone]"


PIECES = st.sampled_from([*"0123456789 -.()+@/:[]?#=abcxyzé,", "www.", "http://", "https://", "::", "+1 ", "1-800-", " mg",
                          "[phone]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_scrubbing_is_idempotent_on_any_mix_of_digits_and_separators(text: str):
    """Never an error either: a question the scrubber chokes on would fail the person's request."""
    once = scrub(text)
    assert scrub(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="@"), max_size=200))
def test_text_without_digits_or_addresses_is_never_changed(text: str):
    assert "://" in text or "www." in text.lower() or scrub(text) == text
