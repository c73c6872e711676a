"""Parse raw lines, coerce fields and decide validity, exactly as `docs/metrics.md` defines it.

Pure DataFrame -> DataFrame functions. A record is valid when it parses as a JSON object and
has the required fields with usable values; otherwise it gets ONE machine-readable reason
(the first failing check, in the order below):

    empty_line                      the line is blank
    invalid_json                    not a JSON object (truncated, garbage, array, ...)
    wrong_type:data                 `data` (or `user_meta`) is not an object
    missing_field:<f>               required field absent or null
    wrong_type:<f>                  required number not coercible ("abc", 99.5, true)
    negative_value:<f>              required number < 0 where >= 0 is required
    out_of_range:<f>                arrival_ts after 9999-12-31, or a USD amount too large
    unknown_category                data.category is not one of the eight categories
    empty_value:<f>                 required string is empty
    too_long:<f>                    required string longer than its warehouse column
    unknown_currency                business currency not in the shipped currency table

Coercion: a number given as a string (`"99"`) or as an integral float (`99.0`, `1e2`) is an
integer; anything else is unusable. Unusable optional fields become null (strings also when
empty or longer than the warehouse column they feed) and never invalidate a record.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from emr_jobs.contract import (
    CATEGORIES,
    CORRUPT_COLUMN,
    DATA_FIELDS,
    JSON_OPTIONS,
    RAW_SCHEMA,
    SHALLOW_SCHEMA,
    TOP_FIELDS,
    USER_META_FIELDS,
)
from emr_jobs.currencies import Currency
from emr_jobs.limits import SESSION_ID_BYTES, USER_ID_BYTES
from liberta_core.tables import MAX_TIMESTAMP_EPOCH_SECONDS


def raw_name(field: str) -> str:
    """Column of a field's JSON text after `parse_lines` (`data.amount` -> `r_data__amount`)."""
    return "r_" + field.replace(".", "__")


ALL_FIELDS: tuple[str, ...] = (
    *TOP_FIELDS,
    *(f"data.{f}" for f in DATA_FIELDS),
    *(f"user_meta.{f}" for f in USER_META_FIELDS),
)


def parse_lines(lines: DataFrame) -> DataFrame:
    """Add the JSON text of every contract field as a flat string column (see `raw_name`)."""
    parsed = lines.withColumn("_json", F.from_json("value", RAW_SCHEMA, JSON_OPTIONS))
    return parsed.select(
        *lines.columns,
        F.col("_json").isNull().alias("_json_null"),
        F.col(f"_json.{CORRUPT_COLUMN}").isNotNull().alias("_json_corrupt"),
        F.col("_json.data").isNull().alias("_data_null"),
        *(F.col(f"_json.{f}").alias(raw_name(f)) for f in ALL_FIELDS),
    )


# --------------------------------------------------------------------------------------
# coercion of one raw text column (SQL, so that try_cast is available on PySpark 3.5)


def _q(name: str) -> str:
    return f"`{name}`"


def as_long(name: str) -> Column:
    """Integer value: `99`, `"99"`, `99.0`, `1e2`; null for anything else or out of range.

    Exact: a fraction with any non-zero digit (`599.99999999999`) is not an integer, however
    close; exponent forms are checked with 18 fractional digits.
    """
    c = _q(name)
    dec = f"try_cast({c} AS DECIMAL(38,18))"
    return F.expr(
        f"CASE WHEN try_cast({c} AS BIGINT) IS NOT NULL THEN try_cast({c} AS BIGINT) "
        f"WHEN {c} RLIKE '^ *[-+]?[0-9]+[.]0* *$' "
        f"THEN try_cast(regexp_extract({c}, '^ *([-+]?[0-9]+)', 1) AS BIGINT) "
        f"WHEN {c} RLIKE '^ *[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)[eE][-+]?[0-9]+ *$' "
        f"AND {dec} = floor({dec}) THEN try_cast({dec} AS BIGINT) END"
    )


def as_double(name: str) -> Column:
    """Finite floating-point value; null for text, booleans, NaN and infinities."""
    d = f"try_cast({_q(name)} AS DOUBLE)"
    return F.expr(
        f"CASE WHEN isnan({d}) OR abs({d}) > 1.7976931348623157E308 THEN NULL ELSE {d} END"
    )


def as_bool(name: str) -> Column:
    """`true`/`false` given as JSON booleans or strings (any case); null otherwise."""
    text = F.lower(F.trim(F.col(name)))
    return F.when(text == "true", F.lit(True)).when(text == "false", F.lit(False))


def as_json_object(name: str) -> Column:
    """Canonical text of an object field (members sorted), null when it is not an object.

    Duplicates are compared after coercion, so `{"EUR": 1, "USD": 2}` and
    `{"USD": 2, "EUR": 1}` must compare equal.
    """
    c = F.col(name)
    members = F.from_json(c, "map<string,string>")
    canonical = F.to_json(F.array_sort(F.map_entries(members)))
    return F.when(F.trim(c) == "{}", F.lit("[]")).when(F.ltrim(c).startswith("{"), canonical)


def has_text_after_object(value: Column) -> Column:
    """The line holds more than one JSON value (glued events, trailing garbage).

    Spark's parser stops after the first object; this catches what follows it. `}` then `{`
    with only blanks between never occurs inside valid JSON outside strings, so the costly
    check with strings blanked out runs only for lines where the cheap one matches.
    """
    # A cheap test first; a regex over every line would cost more than the JSON parse.
    # Candidate: a `}` followed by `{`, a blank or a tab. Split at `}` (one pass: Java's split
    # finds a single literal character with indexOf) and look at what follows each brace;
    # measured here at half the cost of three byte searches (`contains`) over the line.
    ends_in_brace = value.endswith("}") | F.rtrim(value).endswith("}")
    after_braces = F.slice(F.split(value, "}"), 2, 2**31 - 1)
    candidate = F.exists(
        after_braces, lambda s: s.startswith("{") | s.startswith(" ") | s.startswith("\t")
    )
    strings_blanked = F.regexp_replace(value, r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', '""')
    glued = candidate & strings_blanked.rlike(r"\}\s*\{")
    return ~ends_in_brace | glued


# --------------------------------------------------------------------------------------
# validity


def _usd_per_minor_unit(currency: Column, currencies: Mapping[str, Currency]) -> Column:
    rate: Column | None = None
    for code in sorted(currencies):
        value = F.lit(str(currencies[code].usd_per_minor_unit)).cast("decimal(24,18)")
        rate = (
            F.when(currency == code, value) if rate is None else rate.when(currency == code, value)
        )
    if rate is None:
        raise ValueError("the currency table is empty")
    return rate


def amount_usd(
    amount_minor: Column, currency: Column, currencies: Mapping[str, Currency]
) -> Column:
    """amount / 10^minor_digits * usd_per_unit as decimal(18,6) (HALF_UP); null on overflow."""
    exact = amount_minor.cast("decimal(20,0)") * _usd_per_minor_unit(currency, currencies)
    return exact.cast("decimal(18,6)")


def _is_missing(field: str) -> Column:
    """Absent or JSON null."""
    return F.col(raw_name(field)).isNull()


def _required_number(field: str, value: Column, *, non_negative: bool) -> Column:
    check = F.when(_is_missing(field), F.lit(f"missing_field:{field}")).when(
        value.isNull(), F.lit(f"wrong_type:{field}")
    )
    if non_negative:
        check = check.when(value < 0, F.lit(f"negative_value:{field}"))
    return check


def _required_string(field: str, value: Column, max_bytes: int) -> Column:
    name = field.rsplit(".", 1)[-1]
    # The text of a JSON object or array looks like a string starting with { or [; only for
    # such values, look at the line to tell `"id": {...}` from `"id": "{..."`.
    not_a_string = (value.startswith("{") | value.startswith("[")) & F.col("value").rlike(
        f'"{name}"\\s*:\\s*[\\[{{]'
    )
    return (
        F.when(_is_missing(field), F.lit(f"missing_field:{field}"))
        .when(not_a_string, F.lit(f"wrong_type:{field}"))
        .when(F.trim(value) == "", F.lit(f"empty_value:{field}"))
        .when(F.octet_length(value) > max_bytes, F.lit(f"too_long:{field}"))
    )


def _structure_reason() -> Column:
    """Why the full schema rejected a line: bad JSON, or `data`/`user_meta` not an object."""
    shallow = F.from_json("value", SHALLOW_SCHEMA, JSON_OPTIONS)

    def is_non_object(name: str) -> Column:
        field = shallow.getField(name)
        return field.isNotNull() & ~F.ltrim(field).startswith("{")

    ok = shallow.getField(CORRUPT_COLUMN).isNull()
    return (
        F.when(ok & is_non_object("data"), F.lit("wrong_type:data"))
        .when(ok & is_non_object("user_meta"), F.lit("wrong_type:user_meta"))
        .otherwise(F.lit("invalid_json"))
    )


def typed_columns(currencies: Mapping[str, Currency]) -> dict[str, Column]:
    """Typed value of every contract field (by short name, see `coerce`) from `parse_lines`.

    Expressions over the raw text columns, not columns: the job puts them straight into the
    projection that stages the events (`emr_jobs.transforms.events.stage_lines`), where Spark
    evaluates each one once per row however often it is used (subexpression elimination),
    instead of materialising every typed value in a projection of its own first.
    """
    r = raw_name

    def text(field: str) -> Column:
        return F.col(r(field))

    cat = text("data.category")

    def only(categories: tuple[str, ...], value: Column) -> Column:
        return F.when(cat.isin(*categories), value)

    typed: dict[str, Column] = {
        # top level
        "arrival_ts": as_long(r("arrival_ts")),
        "country_code": text("country_code"),
        "game_id": as_long(r("game_id")),
        "ip": text("ip"),
        # data, every category
        "category": cat,
        "v": as_long(r("data.v")),
        "user_id": text("data.user_id"),
        "session_id": text("data.session_id"),
        "session_num": as_long(r("data.session_num")),
        "client_ts": as_long(r("data.client_ts")),
        "platform": text("data.platform"),
        "os_version": text("data.os_version"),
        "manufacturer": text("data.manufacturer"),
        "device": text("data.device"),
        "build": text("data.build"),
        "sdk_version": text("data.sdk_version"),
        "connection_type": text("data.connection_type"),
        "android_id": text("data.android_id"),
        "jailbroken": as_bool(r("data.jailbroken")),
        "limited_ad_tracking": as_bool(r("data.limited_ad_tracking")),
        # data, by category
        "length": only(("session_end",), as_long(r("data.length"))),
        "currency": only(("business",), text("data.currency")),
        "amount_minor": only(("business",), as_long(r("data.amount"))),
        "resource_amount": only(("resource",), as_double(r("data.amount"))),
        "event_id": only(("business", "progression", "resource", "design"), text("data.event_id")),
        "cart_type": only(("business",), text("data.cart_type")),
        "transaction_num": only(("business",), as_long(r("data.transaction_num"))),
        "attempt_num": only(("progression",), as_long(r("data.attempt_num"))),
        "score": only(("progression",), as_long(r("data.score"))),
        "design_value": only(("design",), as_double(r("data.value"))),
        "severity": only(("error",), text("data.severity")),
        "message": only(("error",), text("data.message")),
        "ad_action": only(("ads",), text("data.ad_action")),
        "ad_type": only(("ads",), text("data.ad_type")),
        "ad_placement": only(("ads",), text("data.ad_placement")),
        # user_meta
        "install_ts": as_long(r("user_meta.install_ts")),
        "install_hour": as_long(r("user_meta.install_hour")),
        "cohort_week": as_long(r("user_meta.cohort_week")),
        "cohort_month": as_long(r("user_meta.cohort_month")),
        "first_build": text("user_meta.first_build"),
        "origin": text("user_meta.origin"),
        "is_converting": as_bool(r("user_meta.is_converting")),
        "is_paying": as_bool(r("user_meta.is_paying")),
        "pay_ft": as_long(r("user_meta.pay_ft")),
        "revenue": as_json_object(r("user_meta.revenue")),
    }
    typed["amount_usd"] = amount_usd(typed["amount_minor"], typed["currency"], currencies)
    return typed


def coerce(parsed: DataFrame, currencies: Mapping[str, Currency]) -> DataFrame:
    """Typed values of every contract field (`c_<field>`), null where unusable or not applicable.

    Category-specific fields are kept only for their category (fields outside the contract
    are ignored, also for the duplicate check).
    """
    typed = typed_columns(currencies)
    usd = typed.pop("amount_usd")
    typed_cols = [value.alias(f"c_{name}") for name, value in typed.items()]
    return parsed.select("*", *typed_cols).withColumn("c_amount_usd", usd)


def reason_column(c: Mapping[str, Column], currencies: Mapping[str, Currency]) -> Column:
    """The first failing check (null for a valid record), from the typed values `c` by short
    name (`typed_columns`, or the `c_*` columns of `coerce`) and the columns of `parse_lines`."""
    category = c["category"]
    arrival = c["arrival_ts"]
    is_session_end = category == "session_end"
    is_business = category == "business"

    reason = (
        F.when(F.trim(F.col("value")) == "", F.lit("empty_line"))
        .when(F.col("_json_null"), F.lit("invalid_json"))
        .when(F.col("_json_corrupt"), _structure_reason())
        .when(has_text_after_object(F.col("value")), F.lit("invalid_json"))
        .when(_is_missing("arrival_ts"), F.lit("missing_field:arrival_ts"))
        .when(arrival.isNull(), F.lit("wrong_type:arrival_ts"))
        .when(arrival < 0, F.lit("negative_value:arrival_ts"))
        .when(arrival > MAX_TIMESTAMP_EPOCH_SECONDS, F.lit("out_of_range:arrival_ts"))
        .when(F.col("_data_null"), F.lit("missing_field:data"))
        .when(category.isNull(), F.lit("missing_field:data.category"))
        .when(~category.isin(*CATEGORIES), F.lit("unknown_category"))
    )
    checks = [
        _required_string("data.user_id", c["user_id"], USER_ID_BYTES),
        _required_string("data.session_id", c["session_id"], SESSION_ID_BYTES),
        F.when(is_session_end, _required_number("data.length", c["length"], non_negative=True)),
        F.when(
            is_business,
            F.when(_is_missing("data.currency"), F.lit("missing_field:data.currency")).when(
                ~c["currency"].isin(*sorted(currencies)), F.lit("unknown_currency")
            ),
        ),
        F.when(
            is_business,
            _required_number("data.amount", c["amount_minor"], non_negative=True).when(
                c["amount_usd"].isNull(), F.lit("out_of_range:data.amount")
            ),
        ),
    ]
    # `coalesce` returns the first failing check, evaluating the later ones only when needed.
    return F.coalesce(reason, *checks)


def with_reason(typed: DataFrame, currencies: Mapping[str, Currency]) -> DataFrame:
    """Add `reason`: null for a valid record, else the first failing check."""
    names = [name[2:] for name in typed.columns if name.startswith("c_")]
    return typed.withColumn(
        "reason", reason_column({name: F.col(f"c_{name}") for name in names}, currencies)
    )


def validate(lines: DataFrame, currencies: Mapping[str, Currency]) -> DataFrame:
    """Lines -> typed columns `c_*` and `reason` (null when the record is valid)."""
    return with_reason(coerce(parse_lines(lines), currencies), currencies)
