"""The star schema Liberta publishes: one ordered column list per table, and its merge rules.

This module is the single description of the curated Parquet that the Spark job writes and
that the warehouse loads. Column order matters: Redshift `COPY ... FORMAT AS PARQUET` maps
Parquet columns to table columns by position, so the job writes columns in exactly this order
and the DDL in `redshift_sql/ddl/` declares them in the same order (a test checks both).

Types are logical names shared by both sides: `bigint`, `int`, `smallint`, `boolean`,
`double`, `date`, `timestamp` (UTC, microseconds), `decimal(18,6)`, `varchar(N)` (N bytes, as
Redshift counts). The limits the job enforces (string bytes, integer ranges, the latest
timestamp) are derived from these types; nothing else states them.

Keys: dimension and session keys are deterministic signed 64-bit hashes of the natural key
(see `emr_jobs.keys`), `date_key` is the integer yyyymmdd; `event_key` is a hash of every
contract field of the event, so exact duplicates share one key.

Merge rules: a run publishes at most one row per key. Rows of the same key from different runs
(overlapping windows, late files) are combined by each column's `Merge` rule. Every rule is
commutative and associative, so loading runs in any order, or twice, gives the same table, and
a run over the union of two windows gives what loading both gives. The Spark job reduces a
run's events with the same rules (`emr_jobs.transforms.merge`), and the warehouse MERGE is
generated from them (`liberta_core.merge_sql`), so the two cannot drift. Tables whose rows
never change (`upsert=False`) insert a row when its key is new.

Pure Python on purpose: the job, the warehouse side, the infrastructure and the tests read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# Integer ranges of the warehouse types (Redshift and Postgres agree).
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
# The latest instant Redshift, Postgres and Parquet readers all represent: 9999-12-31T23:59:59Z.
MAX_TIMESTAMP_EPOCH_SECONDS = 253_402_300_799

_VARCHAR = re.compile(r"^varchar\((\d+)\)$")

MergeRuleName = Literal["key", "same", "min", "max", "any", "earliest", "latest"]


@dataclass(frozen=True)
class Merge:
    """How two rows of the same key combine into one (see the module docstring).

    - `key`: the table's key.
    - `same`: a function of the key (e.g. `user_id` of `user_key`): every row agrees; the
      first row loaded keeps it.
    - `min` / `max`: the smallest / largest non-null value.
    - `any`: true when any row is true (boolean or).
    - `earliest` / `latest`: the value of the row with the smallest / largest `by` (a
      timestamp column of the same table; rows where `by` is null lose). Ties on `by` keep the
      smallest non-null value, so the result never depends on the order rows arrive in.
    """

    rule: MergeRuleName
    by: str | None = None

    def __post_init__(self) -> None:
        needs_by = self.rule in ("earliest", "latest")
        if needs_by != (self.by is not None):
            wanted = "required" if needs_by else "not allowed"
            raise ValueError(f"merge rule {self.rule!r}: 'by' is {wanted}")


KEY = Merge("key")
SAME = Merge("same")
MIN = Merge("min")
MAX = Merge("max")
ANY = Merge("any")


def earliest(by: str) -> Merge:
    return Merge("earliest", by)


def latest(by: str) -> Merge:
    return Merge("latest", by)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    doc: str = ""
    merge: Merge = field(default=SAME)

    @property
    def max_bytes(self) -> int | None:
        """UTF-8 bytes a `varchar(N)` column holds (None for other types)."""
        match = _VARCHAR.match(self.type)
        return int(match.group(1)) if match else None

    @property
    def value_range(self) -> tuple[int, int] | None:
        """The integers an integer column holds (None for other types)."""
        return INTEGER_RANGES.get(self.type)


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str = ""
    # True: rows of the same key combine by the columns' merge rules; False: a row never
    # changes once loaded (its key hashes every column, or it is an event).
    upsert: bool = False

    def __post_init__(self) -> None:
        names = self.column_names
        for key in self.key:
            if key not in names:
                raise ValueError(f"{self.name}: key column {key!r} is not a column")
        for column in self.columns:
            if column.merge.rule == "key" and column.name not in self.key:
                raise ValueError(f"{self.name}.{column.name}: merge 'key' on a non-key column")
            if column.merge.by is not None:
                by = self.column(column.merge.by)
                if by.type != "timestamp":
                    raise ValueError(
                        f"{self.name}.{column.name}: 'by' must name a timestamp column"
                    )
            if not self.upsert and column.merge.rule not in ("key", "same"):
                raise ValueError(
                    f"{self.name}.{column.name}: rows of insert-only tables never merge"
                )

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


D_USER = Table(
    name="d_user",
    key=("user_key",),
    upsert=True,
    doc="One row per player.",
    columns=(
        Column("user_key", "bigint", False, "hash('user', user_id)", KEY),
        Column("user_id", "varchar(128)", False, "data.user_id"),
        Column("game_id", "int", True, "game of the earliest event", earliest("first_seen_ts")),
        Column("install_ts", "timestamp", True, "earliest user_meta.install_ts", MIN),
        Column("install_date", "date", True, "UTC date of install_ts", earliest("install_ts")),
        Column(
            "first_build",
            "varchar(64)",
            True,
            "user_meta.first_build of the earliest event",
            earliest("first_seen_ts"),
        ),
        Column(
            "origin",
            "varchar(64)",
            True,
            "user_meta.origin of the earliest event",
            earliest("first_seen_ts"),
        ),
        Column(
            "country_code",
            "varchar(2)",
            True,
            "country of the latest event",
            latest("last_seen_ts"),
        ),
        Column(
            "platform", "varchar(32)", True, "platform of the latest event", latest("last_seen_ts")
        ),
        Column("first_seen_ts", "timestamp", False, "earliest event time", MIN),
        Column("last_seen_ts", "timestamp", False, "latest event time", MAX),
        Column("is_paying", "boolean", False, "has a valid business event", ANY),
        Column("first_payment_ts", "timestamp", True, "earliest business event time", MIN),
    ),
)

D_DATE = Table(
    name="d_date",
    key=("date_key",),
    doc="Calendar; every date from the run's earliest to latest event or install date.",
    columns=(
        Column("date_key", "int", False, "yyyymmdd", KEY),
        Column("calendar_date", "date", False),
        Column("year", "smallint", False),
        Column("quarter", "smallint", False),
        Column("month", "smallint", False),
        Column("day_of_month", "smallint", False),
        Column("day_of_week", "smallint", False, "ISO: 1 = Monday .. 7 = Sunday"),
        Column("iso_week", "smallint", False),
        Column("is_weekend", "boolean", False),
        Column("month_name", "varchar(9)", False, "January .. December"),
        Column("day_name", "varchar(9)", False, "Monday .. Sunday"),
    ),
)

D_DEVICE = Table(
    name="d_device",
    key=("device_key",),
    doc="Device model; natural key (platform, os_version, manufacturer, device), null as ''.",
    columns=(
        Column(
            "device_key",
            "bigint",
            False,
            "hash('device', platform, os_version, manufacturer, device)",
            KEY,
        ),
        Column("platform", "varchar(32)", False),
        Column("os_version", "varchar(64)", False),
        Column("manufacturer", "varchar(64)", False),
        Column("device", "varchar(128)", False),
    ),
)

D_ITEM = Table(
    name="d_item",
    key=("item_key",),
    doc="Purchasable item; from business event_id 'itemType:itemId' and cart_type, null as ''.",
    columns=(
        Column("item_key", "bigint", False, "hash('item', item_type, item_id, cart_type)", KEY),
        Column("item_type", "varchar(64)", False),
        Column("item_id", "varchar(128)", False),
        Column("cart_type", "varchar(64)", False),
    ),
)

F_EVENT = Table(
    name="f_event",
    key=("event_key",),
    doc="One row per valid, de-duplicated event of every category.",
    columns=(
        Column("event_key", "bigint", False, "hash of every contract field", KEY),
        Column("user_key", "bigint", False),
        Column("session_key", "bigint", False),
        Column("date_key", "int", False, "event date (yyyymmdd)"),
        Column("device_key", "bigint", False),
        Column("event_ts", "timestamp", False, "client_ts, or arrival_ts when time-corrected"),
        Column("arrival_ts", "timestamp", False),
        Column("is_time_corrected", "boolean", False),
        Column("category", "varchar(16)", False),
        Column(
            "event_id",
            "varchar(256)",
            True,
            "data.event_id; error: severity; ads: ad_action:ad_type:ad_placement",
        ),
        Column("session_num", "int", True),
        Column("length_s", "bigint", True, "session_end length in seconds"),
        Column("value", "double", True, "design value or resource amount"),
        Column("attempt_num", "int", True, "progression"),
        Column("score", "bigint", True, "progression"),
        Column("game_id", "int", True),
        Column("country_code", "varchar(2)", True),
    ),
)

F_SESSION = Table(
    name="f_session",
    key=("session_key",),
    upsert=True,
    doc="One row per session.",
    columns=(
        Column("session_key", "bigint", False, "hash('session', session_id)", KEY),
        Column("session_id", "varchar(64)", False),
        Column("user_key", "bigint", False, "player of the earliest event", earliest("start_ts")),
        Column("device_key", "bigint", False, "device of the earliest event", earliest("start_ts")),
        Column("date_key", "int", False, "date of start_ts", earliest("start_ts")),
        Column("start_ts", "timestamp", False, "earliest event time", MIN),
        Column("end_ts", "timestamp", False, "latest event time", MAX),
        Column("length_s", "bigint", True, "session_end length; null if no end seen", MAX),
        Column("session_num", "int", True, "data.session_num", MIN),
    ),
)

F_REVENUE = Table(
    name="f_revenue",
    key=("event_key",),
    doc="One row per valid, de-duplicated business event.",
    columns=(
        Column("event_key", "bigint", False, "same key as the f_event row", KEY),
        Column("user_key", "bigint", False),
        Column("session_key", "bigint", False),
        Column("date_key", "int", False),
        Column("device_key", "bigint", False),
        Column("item_key", "bigint", False),
        Column("event_ts", "timestamp", False),
        Column("currency", "varchar(3)", False),
        Column("amount_minor", "bigint", False, "amount in minor units as sent"),
        Column(
            "amount_usd",
            "decimal(18,6)",
            False,
            "amount_minor / 10^minor_digits * usd_per_unit (emr_jobs/data/currencies.csv)",
        ),
        Column("transaction_num", "int", True),
        Column("is_first_purchase", "boolean", True, "user_meta.is_converting"),
        Column("country_code", "varchar(2)", True),
    ),
)

DIMENSIONS: tuple[Table, ...] = (D_USER, D_DATE, D_DEVICE, D_ITEM)
FACTS: tuple[Table, ...] = (F_EVENT, F_SESSION, F_REVENUE)
# Load order: dimensions before the facts that reference them.
TABLES: tuple[Table, ...] = DIMENSIONS + FACTS
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
