"""The currency table shipped with the job (`emr_jobs/data/currencies.csv`)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources

CURRENCY_FILE = "data/currencies.csv"
_CODE = re.compile(r"^[A-Z]{3}$")


class CurrencyTableError(ValueError):
    """The currency table is malformed; the message names the line."""


@dataclass(frozen=True, kw_only=True)
class Currency:
    code: str
    minor_digits: int
    usd_per_unit: Decimal

    @property
    def usd_per_minor_unit(self) -> Decimal:
        """USD value of one minor unit (one cent, one yen), exact."""
        return self.usd_per_unit.scaleb(-self.minor_digits)


def parse_currencies(text: str, *, source: str = CURRENCY_FILE) -> dict[str, Currency]:
    """Parse the CSV (`code,minor_digits,usd_per_unit`; `#` lines are comments)."""
    rows = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise CurrencyTableError(f"{source}: no header and no currencies")
    header_no, header = rows[0]
    if [c.strip() for c in header.split(",")] != ["code", "minor_digits", "usd_per_unit"]:
        raise CurrencyTableError(
            f"{source}:{header_no}: header must be 'code,minor_digits,usd_per_unit', got {header!r}"
        )
    table: dict[str, Currency] = {}
    for number, line in rows[1:]:
        fields = next(csv.reader(io.StringIO(line)))
        if len(fields) != 3:
            raise CurrencyTableError(f"{source}:{number}: expected 3 fields, got {line!r}")
        code, digits, rate = (f.strip() for f in fields)
        if not _CODE.match(code):
            raise CurrencyTableError(f"{source}:{number}: {code!r} is not an ISO 4217 code")
        if code in table:
            raise CurrencyTableError(f"{source}:{number}: {code} is listed twice")
        if not digits.isdigit() or int(digits) > 4:
            raise CurrencyTableError(f"{source}:{number}: minor_digits {digits!r} is not 0-4")
        try:
            usd = Decimal(rate)
        except InvalidOperation:
            raise CurrencyTableError(
                f"{source}:{number}: usd_per_unit {rate!r} is not a number"
            ) from None
        if not usd.is_finite() or usd <= 0:
            raise CurrencyTableError(f"{source}:{number}: usd_per_unit {rate!r} must be positive")
        table[code] = Currency(code=code, minor_digits=int(digits), usd_per_unit=usd)
    if not table:
        raise CurrencyTableError(f"{source}: the table lists no currency")
    return table


def load_currencies() -> dict[str, Currency]:
    """The shipped table; works from a source tree, an installed package or a `--py-files` zip."""
    text = resources.files("emr_jobs").joinpath(CURRENCY_FILE).read_text(encoding="utf-8")
    return parse_currencies(text)
