"""Identifiers out of a question before it is logged: e-mail addresses, phone numbers and the like
become placeholders ("call me at [phone]"). Only the feedback log uses this; the question the
person sees and the answer are never changed.

What is found, and by what:
- phone numbers: `phonenumbers` (the Python port of Google's libphonenumber, released with every
  metadata update; pure Python, nothing downloaded). Its `PhoneNumberMatcher` reads every
  international number written with + (or the region's own prefix, 011 in the US), and the
  national formats of `regions` (US by default: (555) 123-4567, 555-123-4567, 555.123.4567,
  5551234567, 555-1234). It is run at
  POSSIBLE leniency, not VALID, so a number the metadata has not heard of (a new or fictitious
  exchange) is still removed. Two exceptions: toll-free numbers (1-800-273-8255) are kept,
  since they name a helpline, never a person; and North American digits grouped as no phone
  number is written (drug codes such as NDC 50580-506-02 or 0093-7180-56) are kept.
- credit cards (13 to 19 digits, Luhn check) and IBANs (country format and check digits):
  `python-stdnum`, the maintained library of identifier checksums.
- e-mail addresses: the WHATWG HTML pattern for <input type=email> (the one browsers use), with
  letters of any script; IP addresses: candidates checked by the standard `ipaddress`.
- US social security numbers written 123-45-6789 or 123 45 6789, and any other run of nine or
  more digits (record, member and account numbers): plain patterns, no checksum exists.
- web addresses keep their host only ("https://mychart.example.org/[path]"): a path or query
  can hold a name, a token or a record number; one that cannot be read becomes [url].

Ordinary health text is left alone: doses (2 mg, 0.5mg, 10-20 mg), ages, years, dates
(2024-05-12, 12/05/2023), times (10:30), "24/7", blood pressure 120/80, short numbers (911, 988).

Left out: names of people and street addresses (no library finds them offline and reliably
without a large language model: Presidio needs a spaCy model that PyPI does not carry, and
scrubadub's last release is from 2023), spelled-out identifiers ("john at gmail dot com",
"five five five..."), dates of birth (a date is kept: it is often what the question is about),
and national phone formats of other countries unless their region is passed in.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import phonenumbers
from stdnum import iban, luhn

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'\[\]]+", re.IGNORECASE)  # brackets: a placeholder's
# WHATWG HTML "valid e-mail address", unanchored, \w for letters of every script
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[^\W_](?:[\w-]{0,61}[^\W_])?(?:\.[^\W_](?:[\w-]{0,61}[^\W_])?)*")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_SSN = re.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_DIGITS = re.compile(r"(?<!\d)\d{9,}(?!\d)")
_URL_END = ".,;:!?'\""
_CLOSING = {")": "(", "}": "{"}


@dataclass(frozen=True)
class Found:
    """One identifier in a text: its kind, where it is, and what replaces it."""
    kind: str  # "email", "phone", "card", "iban", "ssn", "ip", "number" or "url"
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Scrubber:
    """Finds identifiers in a text (`find`) and replaces them by placeholders (calling it)."""
    #: where numbers written without a country code are read as dialled (ISO 3166 codes)
    regions: tuple[str, ...] = field(default=("US",))

    def __call__(self, text: str) -> str:
        """`text` with every identifier replaced, again until nothing more is found (a placeholder
        next to other characters can make a new match), so scrubbing twice changes nothing more."""
        for _ in range(5):
            found = [f for f in self.find(text) if text[f.start:f.end] != f.replacement]  # a bare host stays
            if not found:
                break
            for f in reversed(found):
                text = text[:f.start] + f.replacement + text[f.end:]
        return text

    def find(self, text: str) -> list[Found]:
        """Every identifier in `text`, in order, none overlapping: where two finders claim the
        same characters, the first in this order wins: url, email, iban, card, ssn, ip, phone, number."""
        claimed: list[Found] = []
        for found in (*_urls(text), *_emails(text), *_ibans(text), *_cards(text), *_pattern("ssn", _SSN, text),
                      *_ips(text), *self._phones(text), *_pattern("number", _DIGITS, text)):
            if not any(found.start < c.end and c.start < found.end for c in claimed):
                claimed.append(found)
        return sorted(claimed, key=lambda f: f.start)

    def _phones(self, text: str) -> list[Found]:
        found = []
        for region in self.regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
                number = match.number
                if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE:
                    continue  # a helpline's number, not a person's
                if number.country_code == 1 and not match.raw_string.startswith("+") and not _nanp_groups(match.raw_string):
                    continue  # grouped as no phone number is: a drug code (NDC 50580-506-02) or a product code
                found.append(Found("phone", match.start, match.end, "[phone]"))
        return found


def _nanp_groups(raw: str) -> bool:
    """Whether the digits of a North American number are grouped as people write phone numbers:
    555-123-4567, (555) 123 4567, 1-555-123-4567, 5551234567, 555-1234."""
    groups = [len(g) for g in re.findall(r"\d+", raw)]
    if len(groups) > 1 and raw.lstrip("(").startswith("1") and groups[0] == 1:
        groups = groups[1:]
    return groups in ([3, 3, 4], [3, 7], [10], [3, 4], [7])


def _pattern(kind: str, pattern: re.Pattern[str], text: str) -> list[Found]:
    return [Found(kind, m.start(), m.end(), f"[{kind}]") for m in pattern.finditer(text)]


def _urls(text: str) -> list[Found]:
    found = []
    for m in _URL.finditer(text):
        url = _url_end(m.group())
        schemed = "://" in url
        try:
            parts = urlsplit(url if schemed else "http://" + url)
            port = f":{parts.port}" if parts.port else ""
        except ValueError:  # no address a browser would open ("www.[x]", a port of letters): all of it goes
            found.append(Found("url", m.start(), m.start() + len(url), "[url]"))
            continue
        shown = (f"{parts.scheme}://" if schemed else "") + (parts.hostname or "") + port  # no user:password@
        private = parts.path.strip("/") or parts.query or parts.fragment
        found.append(Found("url", m.start(), m.start() + len(url), shown + "/[path]" if private else url))
    return found


def _url_end(url: str) -> str:
    """`url` without the sentence's punctuation after it: "(see https://a.org/x)." ends at x."""
    url = url.rstrip(_URL_END)
    while url and url[-1] in _CLOSING and url.count(url[-1]) > url.count(_CLOSING[url[-1]]):
        url = url[:-1].rstrip(_URL_END)
    return url


def _emails(text: str) -> list[Found]:
    return [Found("email", m.start(), m.end(), "[email]") for m in _EMAIL.finditer(text)
            if "." in m.group().split("@", 1)[1]]  # "2 tablets@8pm" is not an address


def _ibans(text: str) -> list[Found]:
    return [Found("iban", m.start(), m.end(), "[iban]") for m in _IBAN.finditer(text) if iban.is_valid(m.group())]


def _cards(text: str) -> list[Found]:
    return [Found("card", m.start(), m.end(), "[card]") for m in _CARD.finditer(text)
            if luhn.is_valid(re.sub(r"\D", "", m.group()))]


def _ips(text: str) -> list[Found]:
    found = []
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            found.append(Found("ip", m.start(), m.end(), "[ip]"))
    return found


#: the scrubber the feedback log uses unless it is given another one
scrub = Scrubber()
