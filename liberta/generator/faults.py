"""Faulty lines, built from the valid event they accompany.

Each invalid kind breaks exactly one rule of `docs/metrics.md` ("Validity and event time"), so a
reader can name the reason. `future_clock` is the exception: such records are valid (their
event time falls back to `arrival_ts`); the renderer applies it to a valid event in place.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from liberta.generator import catalog

FAULT_KINDS: tuple[str, ...] = (
    "truncated",
    "non_json",
    "wrong_type",
    "missing_field",
    "unknown_category",
    "negative_amount",
    "unknown_currency",
    "future_clock",
)
INVALID_KINDS: tuple[str, ...] = tuple(k for k in FAULT_KINDS if k != "future_clock")

BAD_LENGTHS = ('"n/a"', '"12s"', "12.5", "true")
NON_JSON_TEXT = (
    "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>",
    "ERROR collector-7: upstream timeout while reading batch, partial payload discarded",
    "Traceback (most recent call last):",
)


@dataclass(frozen=True, slots=True)
class EventParts:
    """The pieces of one rendered event, enough to rebuild it with one thing wrong."""

    arrival_ts: int
    top: str  # '"country_code":..,"game_id":..[,"ip":..]'
    category: str
    body: str  # category fields, each followed by a comma ('' for none)
    client_ts: int
    session_id: str
    session_num: int
    user_id: str
    rest: str  # '"build":..,"connection_type":..,"v":2,<device fields>'
    meta: str  # the user_meta object


def assemble(
    parts: EventParts,
    *,
    arrival: str | None = "",
    category: str | None = "",
    body: str | None = None,
    user_id: str | None = "",
    session_id: str | None = "",
) -> str:
    """Rebuild an event line. A fragment argument of None leaves that field out; '' keeps
    the original; anything else is the raw JSON value to write."""
    arrival_frag = "" if arrival is None else f'"arrival_ts":{arrival or parts.arrival_ts},'
    data = []
    if category is not None:
        data.append(f'"category":{category or _q(parts.category)}')
    body_frag = parts.body if body is None else body
    if body_frag:
        data.append(body_frag.rstrip(","))
    data.append(f'"client_ts":{parts.client_ts}')
    if session_id is not None:
        data.append(f'"session_id":{session_id or _q(parts.session_id)}')
    data.append(f'"session_num":{parts.session_num}')
    if user_id is not None:
        data.append(f'"user_id":{user_id or _q(parts.user_id)}')
    data.append(parts.rest)
    return f'{{{arrival_frag}{parts.top},"data":{{{",".join(data)}}},"user_meta":{parts.meta}}}'


def _q(text: str) -> str:
    return f'"{text}"'


def business_body(*, currency: str | None, amount: str | None) -> str:
    """A business event's fields, with raw JSON values (None leaves the field out)."""
    parts = []
    if currency is not None:
        parts.append(f'"currency":{currency}')
    if amount is not None:
        parts.append(f'"amount":{amount}')
    parts.append('"event_id":"gems:gems_pack_medium","cart_type":"shop","transaction_num":1')
    return ",".join(parts) + ","


class FaultMaker:
    """Builds one invalid line of a given kind; returns (line, detail)."""

    def __init__(self, known_currencies: set[str]) -> None:
        self.unknown_currencies = tuple(
            c for c in catalog.UNKNOWN_CURRENCIES if c not in known_currencies
        )
        if not self.unknown_currencies:
            raise ValueError("every unknown-currency example is in the rate table")
        self.known = sorted(known_currencies)

    def make(
        self, kind: str, rng: random.Random, parts: EventParts, valid_line: str
    ) -> tuple[str, str]:
        return getattr(self, f"_{kind}")(rng, parts, valid_line)

    def _truncated(self, rng: random.Random, parts: EventParts, line: str) -> tuple[str, str]:
        # any proper prefix of a JSON object is not JSON: the closing brace is missing
        return line[: rng.randrange(16, len(line) - 1)], "truncated"

    def _non_json(self, rng: random.Random, parts: EventParts, line: str) -> tuple[str, str]:
        variant = rng.randrange(4)
        if variant == 0:
            return rng.choice(NON_JSON_TEXT), "non_json:text"
        if variant == 1:
            return "data: " + line, "non_json:log_prefix"
        if variant == 2:
            return line.replace('"category":', "category:", 1), "non_json:unquoted_key"
        return line[:-1] + ",}", "non_json:trailing_comma"

    def _wrong_type(self, rng: random.Random, parts: EventParts, line: str) -> tuple[str, str]:
        cur = _q(rng.choice(self.known))
        variant = rng.randrange(5)
        if variant == 0:
            body = business_body(currency=cur, amount='"abc"')
            return assemble(parts, category='"business"', body=body), "wrong_type:data.amount"
        if variant == 1:
            body = business_body(currency=cur, amount=f"{rng.randrange(1, 9999)}.5")
            return assemble(parts, category='"business"', body=body), "wrong_type:data.amount"
        if variant == 2:
            body = f'"length":{rng.choice(BAD_LENGTHS)},'
            return assemble(parts, category='"session_end"', body=body), "wrong_type:data.length"
        if variant == 3:
            return assemble(parts, arrival=f"{parts.arrival_ts}.5"), "wrong_type:arrival_ts"
        return assemble(parts, arrival='"yesterday"'), "wrong_type:arrival_ts"

    def _missing_field(self, rng: random.Random, parts: EventParts, line: str) -> tuple[str, str]:
        cur = _q(rng.choice(self.known))
        amount = str(rng.randrange(99, 9999))
        variant = rng.randrange(10)
        if variant == 0:
            return assemble(parts, arrival=None), "missing_field:arrival_ts"
        if variant == 1:
            return assemble(parts, category=None), "missing_field:data.category"
        if variant == 2:
            return assemble(parts, user_id=None), "missing_field:data.user_id"
        if variant == 3:
            return assemble(parts, user_id='""'), "missing_field:data.user_id"
        if variant == 4:
            return assemble(parts, session_id=None), "missing_field:data.session_id"
        if variant == 5:
            return assemble(parts, session_id="null"), "missing_field:data.session_id"
        if variant == 6:
            return assemble(parts, category='"session_end"', body=""), "missing_field:data.length"
        if variant == 7:
            body = business_body(currency=None, amount=amount)
            return assemble(parts, category='"business"', body=body), "missing_field:data.currency"
        if variant == 8:
            body = business_body(currency=cur, amount=None)
            return assemble(parts, category='"business"', body=body), "missing_field:data.amount"
        body = business_body(currency=cur, amount="null")
        return assemble(parts, category='"business"', body=body), "missing_field:data.amount"

    def _unknown_category(
        self, rng: random.Random, parts: EventParts, line: str
    ) -> tuple[str, str]:
        category = rng.choice(catalog.UNKNOWN_CATEGORIES)
        return assemble(parts, category=_q(category)), "unknown_category"

    def _negative_amount(self, rng: random.Random, parts: EventParts, line: str) -> tuple[str, str]:
        if rng.random() < 0.5:
            body = business_body(
                currency=_q(rng.choice(self.known)), amount=f"-{rng.randrange(1, 9999)}"
            )
            return assemble(parts, category='"business"', body=body), "negative_amount:data.amount"
        body = f'"length":-{rng.randrange(1, 3600)},'
        return assemble(parts, category='"session_end"', body=body), "negative_amount:data.length"

    def _unknown_currency(
        self, rng: random.Random, parts: EventParts, line: str
    ) -> tuple[str, str]:
        body = business_body(
            currency=_q(rng.choice(self.unknown_currencies)), amount=str(rng.randrange(99, 9999))
        )
        return assemble(parts, category='"business"', body=body), "unknown_currency"
