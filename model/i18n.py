"""The interface's languages: one gettext catalogue per language, and figures,
dates and numbers written as each language's readers write them.

Messages are English source text with named placeholders (``"{count} incidents"``);
the English text is the message's identity in the catalogues (``model/locales``,
one ``.po`` file per language, kept in step with ``samon.pot`` by ``pybabel
extract``). Lower floors hand out message texts and parameters; only the edges
(dashboard, reports, command lines) translate, by ``_`` in the language in use.

The language in use is a context variable: each Streamlit session runs its page
in its own thread, and a report is rendered inside ``with language(code)``, so
two users in two languages never see each other's.

A message the catalogue lacks, or whose translation is broken (a placeholder
missing or misspelt), is shown in English: never blank, never a code.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import os
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import UnsupportedNumberingSystemError, format_decimal

LOCALES = Path(__file__).resolve().parent / "locales"
log = logging.getLogger(__name__)

# The code point of zero in each numbering system a member state's language uses
# (CLDR numberingSystems); the other nine digits follow it.
_ZERO = {"arab": 0x0660, "arabext": 0x06F0, "beng": 0x09E6, "deva": 0x0966,
         "tamldec": 0x0BE6, "tibt": 0x0F20}
DIGIT_STYLES = ("locale", "latin", "native")  # CLDR's default, always 0-9, always native


@dataclass(frozen=True)
class Language:
    code: str  # in links (?lang=) and on command lines (--lang)
    name: str  # in English
    native: str  # in itself
    locale: str  # the CLDR locale for numbers and dates
    rtl: bool = False
    date: str = "medium"  # a CLDR date format name or pattern
    script: str = "LATIN"  # its letters' Unicode script (place names in it are shown)
    # Letters that tell its spelling of a name from other languages of the same
    # script (Urdu's ہ and ے, not Arabic's ي and ك): GeoNames' names carry no language.
    own_letters: str = ""
    foreign_letters: str = ""

    @property
    def babel(self) -> Locale:
        return Locale.parse(self.locale)


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    # English as the network's counterparts exchange it: ISO dates, Western grouping.
    Language("en", "English", "English", "en", date="yyyy-MM-dd"),
    Language("ur", "Urdu", "اردو", "ur_PK", rtl=True, script="ARABIC",
             own_letters="ہےںٹڈڑھ", foreign_letters="يكىةهۍېښږډټړګڼ"),
    Language("bn", "Bengali", "বাংলা", "bn_BD", script="BENGALI"),
    Language("hi", "Hindi", "हिन्दी", "hi_IN", script="DEVANAGARI"),
    Language("ne", "Nepali", "नेपाली", "ne_NP", script="DEVANAGARI"),
    Language("si", "Sinhala", "සිංහල", "si_LK", script="SINHALA"),
    Language("ta", "Tamil", "தமிழ்", "ta_LK", script="TAMIL"),
    # Dari is Afghanistan's Persian: CLDR's fa_AF (ISO 639-3 prs).
    Language("prs", "Dari", "دری", "fa_AF", rtl=True, script="ARABIC",
             own_letters="پچژگیک", foreign_letters="يكىةہےںٹڈڑھۍېښږډټړګڼ"),
    Language("ps", "Pashto", "پښتو", "ps_AF", rtl=True, script="ARABIC",
             own_letters="ټډړږښګڼۍې", foreign_letters="يكىةہےںٹڈڑھ"),
    Language("dz", "Dzongkha", "རྫོང་ཁ", "dz_BT", script="TIBETAN"),
    Language("dv", "Dhivehi", "ދިވެހި", "dv_MV", rtl=True, script="THAANA"),
)}
ENGLISH = LANGUAGES["en"]


REGION_SCRIPTS = frozenset(lang.script for lang in LANGUAGES.values()) - {"LATIN"}


@functools.lru_cache(maxsize=8192)  # letters repeat: GeoNames' names at load are 80,000 of them
def script_of(char: str) -> str:
    """The Unicode script of a letter, as its character name begins ('BENGALI')."""
    return unicodedata.name(char, "UNKNOWN").split(" ")[0]


def written_in(text: str, scripts: frozenset[str] = REGION_SCRIPTS) -> bool:
    """Whether every letter of ``text`` is in one of ``scripts`` (and it has letters)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(script_of(c) in scripts for c in letters)


def local_name(names: str | None, english: str) -> str:
    """A place's name as a reader of the language in use finds it: in its script
    when the data has one, with the English name beside ('লাহোর (Lahore)')."""
    lang = current()
    if lang.script == "LATIN" or not isinstance(names, str):
        return english
    candidates = [n for n in names.split("|") if written_in(n, frozenset({lang.script}))]
    if not candidates:
        return english

    def fit(name: str) -> tuple[int, bool, int]:
        # the language's own spelling first, then the plainest (fewest words); ties: the
        # data's order
        return (sum(c in lang.foreign_letters for c in name),
                not any(c in lang.own_letters for c in name), len(name.split()))

    return f"{min(candidates, key=fit)} ({english})"


class LanguageError(ValueError):
    """A language or digit style this program does not have."""


def get(code: str | None) -> Language:
    """The language of ``code`` (case and ``ur-PK`` style regions ignored); None: English."""
    if not code:
        return ENGLISH
    key = code.strip().lower().replace("_", "-")
    found = LANGUAGES.get(key) or LANGUAGES.get(key.split("-")[0])
    if found is None:
        raise LanguageError(f"unknown language {code!r}; one of: {', '.join(LANGUAGES)}")
    return found


def known(code: str | None) -> str | None:
    """The code of the language ``code`` names, or None for none or an unknown one."""
    try:
        return get(code).code if code else None
    except LanguageError:
        return None


def find(code: str | None) -> Language:
    """Like ``get`` but English for anything unknown (a language from a link)."""
    return LANGUAGES[known(code) or "en"]


@dataclass(frozen=True)
class _InUse:
    language: Language
    digits: str


_ENGLISH_IN_USE = _InUse(ENGLISH, "locale")
_current: ContextVar[_InUse] = ContextVar("samon_language", default=_ENGLISH_IN_USE)


def current() -> Language:
    return _current.get().language


def use(code: str | None, *, digits: str = "locale") -> Language:
    """Speak ``code`` in this thread from now on (a Streamlit page run)."""
    if digits not in DIGIT_STYLES:
        raise LanguageError(f"unknown digit style {digits!r}; one of: {', '.join(DIGIT_STYLES)}")
    lang = get(code)
    _current.set(_InUse(lang, digits))
    return lang


@contextmanager
def language(code: str | None, *, digits: str = "locale") -> Iterator[Language]:
    """Speak ``code`` inside the block (a report, a command's output)."""
    token = _current.set(_current.get())
    try:
        yield use(code, digits=digits)
    finally:
        _current.reset(token)


def command_line(code: str | None = None) -> AbstractContextManager[Language]:
    """The language a command's own messages are written in: ``code`` (its
    ``--lang``), else the node's ``SAMON_LANGUAGE``, else English. A code we do
    not have is said (on standard error) and English is used."""
    chosen = code or os.environ.get("SAMON_LANGUAGE") or "en"
    if known(chosen) is None:
        log.warning("%r is not a language we have (%s): English is used", chosen,
                    ", ".join(LANGUAGES))
    return language(known(chosen) or "en")


@cache
def catalogue(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``code`` (English: none, the messages are English)."""
    path = LOCALES / f"{code}.po"
    if code == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        po = read_po(f, locale=LANGUAGES[code].locale)
    compiled = io.BytesIO()
    write_mo(compiled, po)  # fuzzy (unreviewed) entries are left out, as gettext does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _isolate(value: object) -> str:
    # Inside right-to-left text a Latin name or a number keeps its own direction and
    # does not pull its neighbours along (Unicode first-strong isolate).
    return f"\u2068{value}\u2069"


def _fill(text: str, english: str, params: dict) -> str:
    if not params:
        return text
    if _current.get().language.rtl:
        params = {k: _isolate(v) for k, v in params.items()}
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        log.error("broken translation of %r in %s: %r", english, current().code, text)
        return english.format(**params)


def _(message: str, /, **params: object) -> str:
    """``message`` in the language in use, placeholders filled."""
    return _fill(catalogue(current().code).gettext(message), message, params)


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The form of ``singular``/``plural`` for ``n``; ``{n}`` is written by ``number``."""
    text = catalogue(current().code).ngettext(singular, plural, n)
    return _fill(text, singular if n == 1 else plural, {"n": number(n), **params})


def N_(message: str, /) -> str:
    """Marks a message for the catalogue where it is defined; ``_`` translates
    it where it is shown."""
    return message


def render(message: str, params: Mapping[str, object] | None = None) -> str:
    """A message kept with its parameters by a lower floor (a reader's rejection
    reason, an error), written in the language in use: counts and sizes as its
    readers write figures, a phrase among the values in the same language."""
    if not params:
        return _(message)
    return _(message, **{k: v.text() if isinstance(v, Phrase)
                         else number(v) if isinstance(v, int | float) and not isinstance(v, bool)
                         else v for k, v in params.items()})


def english(message: str, params: Mapping[str, object] | None = None) -> str:
    """The same in English: for logs, JSON answers and the store's ingest log."""
    with language("en"):
        return render(message, params)


@dataclass(frozen=True)
class Phrase:
    """A catalogue message and its values, kept as such until it is shown (a
    warning's reasons: written in English for the log, in each language of its
    CAP message)."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def text(self) -> str:
        return render(self.message, self.params)

    def __str__(self) -> str:
        return english(self.message, self.params)

    def as_list(self) -> list:
        """For JSON (the warning engine's state, the store): [message, values], a
        phrase among the values as {"phrase": [message, values]}."""
        return [self.message, {k: {"phrase": v.as_list()} if isinstance(v, Phrase) else v
                               for k, v in self.params.items()}]

    @classmethod
    def from_list(cls, stored: list) -> Phrase:
        message, params = stored
        return cls(message, {k: cls.from_list(v["phrase"]) if isinstance(v, dict) else v
                             for k, v in params.items()})


class Said(Exception):
    """An error whose sentence is a catalogue message with its values: ``str()``
    is English (logs, JSON answers, the audit log), ``text()`` the language in use.
    Mixed into the program's errors beside their builtin (``ValueError`` ...)."""

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.said = Phrase(message, params)
        super().__init__(str(self.said))

    def text(self) -> str:
        return self.said.text()


def said(error: BaseException) -> str:
    """What went wrong, for a person: in the language in use where the error
    keeps its message (``Said``, the readers' errors), else as it was raised."""
    text = getattr(error, "text", None)
    return text() if callable(text) else str(error)


def joined(phrases: Iterable[Phrase], *, in_english: bool = False) -> str:
    """Phrases as one sentence, ``; `` between them."""
    return "; ".join(str(p) if in_english else p.text() for p in phrases)


def _system() -> str:
    """The numbering system in use: the language's (CLDR) default, Latin or native."""
    in_use = _current.get()
    loc = in_use.language.babel
    return {"locale": loc.default_numbering_system, "latin": "latn",
            "native": loc.other_numbering_systems.get("native", "latn")}[in_use.digits]


def _digits(text: str, system: str) -> str:
    zero = _ZERO.get(system)
    return text if zero is None else text.translate({0x30 + i: zero + i for i in range(10)})


def number(value: float | int, *, decimals: int | None = None) -> str:
    """A figure grouped as the language's readers group it (65,75,455 in the
    South Asian locales that write lakh and crore), in its digits and with its
    separators; ``decimals`` fixes the places after the point (default: up to
    three, as needed)."""
    loc = current().babel
    pattern = None
    if decimals is not None:
        grouping = loc.decimal_formats[None].pattern.split(";")[0].split(".")[0]
        pattern = grouping + ("." + "0" * decimals if decimals else "")
    system = _system()
    try:
        text = format_decimal(value, format=pattern, locale=loc, numbering_system=system)
    except UnsupportedNumberingSystemError:  # CLDR has no separators for it: the default's
        text = format_decimal(value, format=pattern, locale=loc)
    return _digits(text, system)


def when(ts: pd.Timestamp | datetime | None) -> str:
    """A time as the language writes a date and a 24-hour time, always in UTC and saying so."""
    if ts is None or pd.isna(ts):
        return "—"
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    moment = stamp.to_pydatetime(warn=False)
    day = format_date(moment, current().date, locale=current().locale)
    return _digits(f"{day} {moment:%H:%M} UTC", _system())


def direction() -> str:
    return "rtl" if current().rtl else "ltr"
