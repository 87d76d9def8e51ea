"""Numbers, money, percentages and dates as people read and type them, one way everywhere (Babel).

Formatting follows the active language: German "12.000,00 €", "63 %", "1.234,5"; English "€12,000.00", "63%",
"1,234.5". Money is always the company's currency in Babel's standard currency format with the currency's digits,
so an amount reads the same on the cascade, on budgets, on the board and in the digest.

Parsing has two modes:

- :func:`parse_decimal` reads what a person typed into a form, by the active language. German "4.500" is 4500,
  "4.500,50" and "1.234.567,89" read as expected; English "4,500.50" too. Input that is wrong for the language
  ("4.50" in German, "4,500.50" in German) is refused with a message that names the expected form, never guessed.
- :func:`parse_file_decimal` reads a cell of an imported file, whose author's language we do not know (a German
  Excel export, a HubSpot export): "1.234,56" and "1,234.56" both read as 1234.56, the separator that comes last is
  the decimal one; a repeated separator ("1.234.567", "1,234,567") groups thousands; a single comma or dot is the
  decimal separator ("1234,5", "1234.5" — this is how our own exports write numbers), except "4.500" / "4,500"
  (three digits after it), which is 4500 for an amount column (at most two decimals) or where the separator is
  the importing person's grouping separator, unless the file's other numbers decide the convention
  (:func:`file_number_language`). Currency signs and spaces are ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import NumberFormatError, get_currency_precision, get_currency_symbol, parse_pattern
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import parse_decimal as babel_parse_decimal
from django.utils.translation import get_language
from django.utils.translation import gettext as _

DASH = "–"
LOCALES = {"de": "de_DE", "en": "en_GB"}
EXAMPLES = {"de": "4.500,50", "en": "4,500.50"}


class NumberError(ValueError):
    """Text that is not a number (or date) in the expected form; the message says why, translated."""


# ---------------------------------------------------------------------------------------------------- locales


def language_code(language: str | None = None) -> str:
    """The two-letter language ("de", "en") of ``language`` or of the active language (German by default)."""
    return (language or get_language() or "de").split("-")[0].split("_")[0].lower()


def babel_locale(language: str | None = None) -> str:
    code = language_code(language)
    return LOCALES.get(code, code)


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


@lru_cache(maxsize=256)
def _decimal_pattern(code: str, decimals: int, min_decimals: int):
    pattern = "#,##0" + ("." + "0" * min_decimals + "#" * (decimals - min_decimals) if decimals else "")
    return parse_pattern(pattern)


@lru_cache(maxsize=64)
def _percent_pattern(code: str, decimals: int, min_decimals: int):
    """The locale's percent pattern ("#,##0 %" in German, "#,##0%" in English) with up to ``decimals`` places."""
    pattern = _locale(code).percent_formats[None].pattern.split(";")[0]
    if decimals:
        places = "0" * min_decimals + "#" * (decimals - min_decimals)
        pattern = pattern.replace("#,##0", "#,##0." + places, 1)
    return parse_pattern(pattern)


# -------------------------------------------------------------------------------------------------- formatting


def _as_decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _rounded(value, places: int) -> Decimal:
    """Commercial rounding (half up: 0.125 → 0.13, not Babel's half-even 0.12), and no "-0" for a negative value
    that rounds to zero."""
    number = _as_decimal(value)
    if not number.is_finite():
        return number
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(number) if number == 0 else number


def format_decimal(value, *, decimals: int = 2, min_decimals: int = 0, language: str | None = None) -> str:
    """A number with the language's grouping and separators, up to ``decimals`` places (at least ``min_decimals``):
    1234.5 → "1.234,5" (de) / "1,234.5" (en)."""
    if value is None or value == "":
        return DASH
    code = babel_locale(language)
    return _decimal_pattern(code, decimals, min(min_decimals, decimals)).apply(_rounded(value, decimals), _locale(code))


def format_money(value, currency: str = "EUR", *, language: str | None = None) -> str:
    """An amount in the company's currency, Babel's standard currency format with the currency's digits:
    12000 → "12.000,00 €" (de) / "€12,000.00" (en)."""
    if value is None or value == "":
        return DASH
    currency = currency or "EUR"
    amount = _rounded(value, get_currency_precision(currency))
    return babel_format_currency(amount, currency, locale=babel_locale(language))


def format_percent(ratio, *, decimals: int = 0, min_decimals: int | None = None, language: str | None = None) -> str:
    """A share given as a ratio: 0.63 → "63 %" (de) / "63%" (en); ``decimals`` places (fewer, down to
    ``min_decimals``, where they are zeros)."""
    if ratio is None or ratio == "":
        return DASH
    code = babel_locale(language)
    fixed = decimals if min_decimals is None else min(min_decimals, decimals)
    points = _rounded(_as_decimal(ratio) * 100, decimals)
    return _percent_pattern(code, decimals, fixed).apply(points / 100, _locale(code))


def format_percent_points(
    value, *, decimals: int = 0, min_decimals: int | None = None, language: str | None = None
) -> str:
    """A value already in percent (42.5 means 42.5 %): "42,5 %" (de) / "42.5%" (en)."""
    if value is None or value == "":
        return DASH
    return format_percent(_as_decimal(value) / 100, decimals=decimals, min_decimals=min_decimals, language=language)


def format_date(value: dt.date | None, *, style: str = "medium", language: str | None = None) -> str:
    """A date as the language writes it: "04.03.2026" (de, medium) / "4 Mar 2026" (en, medium)."""
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        value = value.date()
    return babel_format_date(value, format=style, locale=babel_locale(language))


def currency_symbol(currency: str, language: str | None = None) -> str:
    return get_currency_symbol(currency or "EUR", locale=babel_locale(language))


def plain_decimal(value: Decimal | None) -> str:
    """A number as files store it (no grouping, decimal point, no trailing zeros): "1234.5", "0"."""
    if value is None:
        return ""
    text = format(_as_decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


# ------------------------------------------------------------------------------------------------------ parsing

_CURRENCY = re.compile(r"[€$£]|EUR|USD|CHF|GBP", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def _strip_currency(text: str) -> str:
    return _SPACES.sub("", _CURRENCY.sub("", text))


def parse_decimal(text, *, language: str | None = None) -> Decimal | None:
    """What a person typed, read by the active language; None for empty input. Raises NumberError for text that is
    not a number in that language's form (naming an example of the right form)."""
    if text is None:
        return None
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        return Decimal(text)
    raw = str(text).strip()
    cleaned = _strip_currency(raw)
    if not cleaned:
        return None
    code = language_code(language)
    try:
        value = babel_parse_decimal(cleaned, locale=babel_locale(code), strict=True)
    except NumberFormatError:
        raise NumberError(
            _("“%(value)s” is not a number; write it like %(example)s.")
            % {"value": raw[:40], "example": EXAMPLES.get(code, EXAMPLES["en"])}
        ) from None
    if not value.is_finite():
        raise NumberError(_("“%(value)s” is not a number.") % {"value": raw[:40]})
    return value


# A single separator followed by exactly three digits ("4.500", "4,500") is a thousands group or a decimal fraction.
_ONE_GROUP = re.compile(r"[1-9]\d{0,2}([.,])\d{3}")
GROUPING = {"de": ".", "en": ","}


def parse_file_decimal(text, *, max_decimals: int | None = None, language: str | None = None) -> Decimal | None:
    """A number cell of an imported file, German or English convention (see the module docstring); None for an
    empty cell. Raises NumberError for anything else.

    "4.500" / "4,500" (one separator, three digits after it) is ambiguous. It is 4500 where the column has fewer
    than three decimals (``max_decimals``, e.g. 2 for amounts: 4.5 could not be meant with three places), else
    where the separator is the grouping one of ``language`` (the importing person's: "4.500" in German, "4,500" in
    English); otherwise, as our own exports write numbers, the separator is the decimal one."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise NumberError(_("“%(value)s” is not a number.") % {"value": text})
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int | float):
        value = Decimal(str(text))
    else:
        raw = str(text).strip()
        cleaned = _strip_currency(raw)
        if not cleaned:
            return None
        negative = cleaned.startswith("-")
        digits = cleaned[1:] if cleaned[0] in "+-" else cleaned
        if "," in digits and "." in digits:
            decimal_sep = "," if digits.rfind(",") > digits.rfind(".") else "."
            thousands = "." if decimal_sep == "," else ","
            whole, _sep, fraction = digits.rpartition(decimal_sep)
            digits = _ungrouped(whole, thousands, raw) + "." + fraction
        elif digits.count(",") > 1:
            digits = _ungrouped(digits, ",", raw)
        elif digits.count(".") > 1:
            digits = _ungrouped(digits, ".", raw)
        elif (group := _ONE_GROUP.fullmatch(digits)) and (
            (max_decimals is not None and max_decimals < 3)
            or (language is not None and GROUPING.get(language_code(language)) == group.group(1))
        ):
            digits = digits.replace(group.group(1), "")
        else:
            digits = digits.replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", digits):
            raise NumberError(_("“%(value)s” is not a number.") % {"value": raw[:40]})
        try:
            value = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
            raise NumberError(_("“%(value)s” is not a number.") % {"value": raw[:40]}) from None
        value = -value if negative else value
    if not value.is_finite():
        raise NumberError(_("“%(value)s” is not a number.") % {"value": str(text)[:40]})
    return value


def file_number_language(cells) -> str | None:
    """The number convention a file's number cells reveal, "de" or "en", or None when none of them decides (or
    they contradict each other). A cell decides when its separators can mean only one thing: both kinds
    ("1.234,56"), a repeated one ("1.234.567"), or a single one without exactly three digits after it ("0,5",
    "12.75"). Used so that an ambiguous "4.500" in a file reads like the file's other numbers (our own CSV export
    writes "1.125" and "0.5"), and only a file with nothing but ambiguous cells falls back to the person's language.
    """
    seen: set[str] = set()
    for cell in cells:
        if not isinstance(cell, str):
            continue
        digits = _strip_currency(cell.strip()).lstrip("+-")
        if "," in digits and "." in digits:
            seen.add("de" if digits.rfind(",") > digits.rfind(".") else "en")
        elif digits.count(",") > 1 or digits.count(".") > 1:
            seen.add("de" if "." in digits else "en")
        elif ("," in digits or "." in digits) and not _ONE_GROUP.fullmatch(digits):
            seen.add("de" if "," in digits else "en")
        if len(seen) > 1:
            return None
    return seen.pop() if seen else None


_GROUPED = {sep: re.compile(r"\d{1,3}(" + re.escape(sep) + r"\d{3})+") for sep in ",."}


def _ungrouped(text: str, separator: str, raw: str) -> str:
    """ "1.234.567" → "1234567"; groups of other than three digits ("12,3,4") are no number."""
    if not _GROUPED[separator].fullmatch(text):
        raise NumberError(_("“%(value)s” is not a number.") % {"value": raw[:40]})
    return text.replace(separator, "")


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y")


def parse_date(text) -> dt.date | None:
    """A date cell or field: ISO "2026-03-04" or German "04.03.2026" / "04.03.26"; None for empty input."""
    if text is None:
        return None
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    raw = str(text).strip()
    if not raw:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise NumberError(_("“%(value)s” is not a date (use YYYY-MM-DD or DD.MM.YYYY)") % {"value": raw[:40]})
