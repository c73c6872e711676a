"""The star schema Liberta publishes: one ordered column list per table.

This module is the single description of the curated Parquet that the Spark job writes
and that the warehouse loads. Column order matters: Redshift `COPY ... FORMAT AS PARQUET`
maps Parquet columns to table columns by position, so the job writes columns in exactly
this order and the DDL in `redshift_sql/ddl/` declares them in the same order (a test
checks both).

Types are logical names shared by both sides:
`bigint`, `int`, `smallint`, `boolean`, `double`, `date`, `timestamp` (UTC, microseconds),
`decimal(18,6)`, `varchar(N)`.

Keys: dimension and session keys are deterministic signed 64-bit hashes of the natural
key (see `emr_jobs.keys`), `date_key` is the integer yyyymmdd; `event_key` is a hash of
every contract field of the event, so exact duplicates share one key.

Pure Python on purpose: the warehouse side and the tests read it without Spark.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


D_USER = Table(
    name="d_user",
    key=("user_key",),
    doc="One row per player. Merge rules: min/max/or/earliest-wins/latest-wins, see each column.",
    columns=(
        Column("user_key", "bigint", False, "hash('user', user_id)"),
        Column("user_id", "varchar(128)", False, "data.user_id"),
        Column("game_id", "int", True, "game of the earliest event (earliest wins)"),
        Column("install_ts", "timestamp", True, "min(user_meta.install_ts)"),
        Column("install_date", "date", True, "UTC date of install_ts"),
        Column("first_build", "varchar(64)", True, "user_meta.first_build of the earliest event"),
        Column("origin", "varchar(64)", True, "user_meta.origin of the earliest event"),
        Column("country_code", "varchar(2)", True, "country of the latest event (latest wins)"),
        Column("platform", "varchar(32)", True, "platform of the latest event (latest wins)"),
        Column("first_seen_ts", "timestamp", False, "min(event_ts)"),
        Column("last_seen_ts", "timestamp", False, "max(event_ts)"),
        Column("is_paying", "boolean", False, "has a valid business event (or)"),
        Column("first_payment_ts", "timestamp", True, "min(event_ts) of business events"),
    ),
)

D_DATE = Table(
    name="d_date",
    key=("date_key",),
    doc="Calendar; every date from the run's earliest to latest event or install date.",
    columns=(
        Column("date_key", "int", False, "yyyymmdd"),
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
        Column("item_key", "bigint", False, "hash('item', item_type, item_id, cart_type)"),
        Column("item_type", "varchar(64)", False),
        Column("item_id", "varchar(128)", False),
        Column("cart_type", "varchar(64)", False),
    ),
)

F_EVENT = Table(
    name="f_event",
    key=("event_key",),
    doc="One row per valid, de-duplicated event of every category. Merge: insert when new.",
    columns=(
        Column("event_key", "bigint", False, "hash of every contract field"),
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
    doc=(
        "One row per session. Merge: start_ts min (date_key follows start_ts), end_ts max, "
        "length_s max, session_num min, user/device of the earliest start."
    ),
    columns=(
        Column("session_key", "bigint", False, "hash('session', session_id)"),
        Column("session_id", "varchar(64)", False),
        Column("user_key", "bigint", False),
        Column("device_key", "bigint", False),
        Column("date_key", "int", False, "date of start_ts"),
        Column("start_ts", "timestamp", False, "min(event_ts) over the session's events"),
        Column("end_ts", "timestamp", False, "max(event_ts) over the session's events"),
        Column("length_s", "bigint", True, "max(session_end length); null if no end seen"),
        Column("session_num", "int", True),
    ),
)

F_REVENUE = Table(
    name="f_revenue",
    key=("event_key",),
    doc="One row per valid, de-duplicated business event. Merge: insert when new.",
    columns=(
        Column("event_key", "bigint", False, "same key as the f_event row"),
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
