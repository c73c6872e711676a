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

from collections.abc import Callable, Mapping

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


def parse_lines(lines: DataFrame, *, unless: str | None = None) -> DataFrame:
    """Add the JSON text of every contract field as a flat string column (see `raw_name`).

    With `unless`, a column of `lines`: only where it is null (elsewhere the text columns are
    null); the job passes the plain parser's struct (`emr_jobs.plain_parse`).
    """
    json = F.from_json("value", RAW_SCHEMA, JSON_OPTIONS)
    if unless is not None:
        json = F.when(F.col(unless).isNull(), json)
    parsed = lines.withColumn("_json", json)
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


def as_json_object(c: Column) -> Column:
    """Canonical text of an object field (members sorted), null when it is not an object.

    Duplicates are compared after coercion, so `{"EUR": 1, "USD": 2}` and
    `{"USD": 2, "EUR": 1}` must compare equal.
    """
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


Missing = Callable[[str], Column]


def _is_missing(field: str) -> Column:
    """Absent or JSON null."""
    return F.col(raw_name(field)).isNull()


def _required_number(
    field: str, value: Column, *, non_negative: bool, missing: Missing = _is_missing
) -> Column:
    check = F.when(missing(field), F.lit(f"missing_field:{field}")).when(
        value.isNull(), F.lit(f"wrong_type:{field}")
    )
    if non_negative:
        check = check.when(value < 0, F.lit(f"negative_value:{field}"))
    return check


def _required_string(
    field: str, value: Column, max_bytes: int, *, missing: Missing = _is_missing
) -> Column:
    name = field.rsplit(".", 1)[-1]
    # The text of a JSON object or array looks like a string starting with { or [; only for
    # such values, look at the line to tell `"id": {...}` from `"id": "{..."`.
    not_a_string = (value.startswith("{") | value.startswith("[")) & F.col("value").rlike(
        f'"{name}"\\s*:\\s*[\\[{{]'
    )
    return (
        F.when(missing(field), F.lit(f"missing_field:{field}"))
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


# How each contract field is coerced from its text (`data.amount` is an integer for
# `business` and a float for `resource`, so it is read both ways).
FIELD_KINDS: tuple[tuple[str, str], ...] = (
    ("arrival_ts", "long"), ("country_code", "string"), ("game_id", "long"), ("ip", "string"),
    ("data.category", "string"), ("data.v", "long"), ("data.user_id", "string"),
    ("data.session_id", "string"), ("data.session_num", "long"), ("data.client_ts", "long"),
    ("data.platform", "string"), ("data.os_version", "string"),
    ("data.manufacturer", "string"), ("data.device", "string"), ("data.build", "string"),
    ("data.sdk_version", "string"), ("data.connection_type", "string"),
    ("data.android_id", "string"), ("data.jailbroken", "bool"),
    ("data.limited_ad_tracking", "bool"), ("data.length", "long"),
    ("data.currency", "string"), ("data.amount", "long_or_fraction"),
    ("data.amount", "double"), ("data.event_id", "string"), ("data.cart_type", "string"),
    ("data.transaction_num", "long"), ("data.attempt_num", "long"), ("data.score", "long"),
    ("data.value", "double"), ("data.severity", "string"), ("data.message", "string"),
    ("data.ad_action", "string"), ("data.ad_type", "string"), ("data.ad_placement", "string"),
    ("user_meta.install_ts", "long"), ("user_meta.install_hour", "long"),
    ("user_meta.cohort_week", "long"), ("user_meta.cohort_month", "long"),
    ("user_meta.first_build", "string"), ("user_meta.origin", "string"),
    ("user_meta.is_converting", "bool"), ("user_meta.is_paying", "bool"),
    ("user_meta.pay_ft", "long"), ("user_meta.revenue", "object"),
)  # fmt: skip


def slot_name(field: str, kind: str) -> str:
    """Field of the plain parser's struct holding `field` read as `kind`."""
    return f"{raw_name(field)}__{kind}"


def _coerced(name: str, kind: str) -> Column:
    """The value of the text column `name` read as `kind` (see `FIELD_KINDS`); an object
    stays text here (`typed_columns` canonicalises it)."""
    if kind in ("long", "long_or_fraction"):
        return as_long(name)
    if kind == "double":
        return as_double(name)
    if kind == "bool":
        return as_bool(name)
    return F.col(name)


FieldValues = Mapping[tuple[str, str], Column]


def field_values() -> dict[tuple[str, str], Column]:
    """Every `(field, kind)` of `FIELD_KINDS` coerced from `parse_lines`' text columns."""
    return {(field, kind): _coerced(raw_name(field), kind) for field, kind in FIELD_KINDS}


def typed_columns(
    currencies: Mapping[str, Currency], values: FieldValues | None = None
) -> dict[str, Column]:
    """Typed value of every contract field (by short name, see `coerce`) from the coerced
    `values` (by default `field_values()`, from `parse_lines`).

    Expressions over the raw text columns, not columns: the job puts them straight into the
    projection that stages the events (`emr_jobs.transforms.events.stage_lines`), where Spark
    evaluates each one once per row however often it is used (subexpression elimination),
    instead of materialising every typed value in a projection of its own first.
    """
    if values is None:
        values = field_values()
    by_field = {field: value for (field, _), value in values.items()}
    amount_minor = values[("data.amount", "long_or_fraction")]
    amount_double = values[("data.amount", "double")]
    cat = by_field["data.category"]

    def only(categories: tuple[str, ...], value: Column) -> Column:
        return F.when(cat.isin(*categories), value)

    def v(field: str) -> Column:
        return by_field[field]

    typed: dict[str, Column] = {
        # top level
        "arrival_ts": v("arrival_ts"),
        "country_code": v("country_code"),
        "game_id": v("game_id"),
        "ip": v("ip"),
        # data, every category
        "category": cat,
        "v": v("data.v"),
        "user_id": v("data.user_id"),
        "session_id": v("data.session_id"),
        "session_num": v("data.session_num"),
        "client_ts": v("data.client_ts"),
        "platform": v("data.platform"),
        "os_version": v("data.os_version"),
        "manufacturer": v("data.manufacturer"),
        "device": v("data.device"),
        "build": v("data.build"),
        "sdk_version": v("data.sdk_version"),
        "connection_type": v("data.connection_type"),
        "android_id": v("data.android_id"),
        "jailbroken": v("data.jailbroken"),
        "limited_ad_tracking": v("data.limited_ad_tracking"),
        # data, by category
        "length": only(("session_end",), v("data.length")),
        "currency": only(("business",), v("data.currency")),
        "amount_minor": only(("business",), amount_minor),
        "resource_amount": only(("resource",), amount_double),
        "event_id": only(("business", "progression", "resource", "design"), v("data.event_id")),
        "cart_type": only(("business",), v("data.cart_type")),
        "transaction_num": only(("business",), v("data.transaction_num")),
        "attempt_num": only(("progression",), v("data.attempt_num")),
        "score": only(("progression",), v("data.score")),
        "design_value": only(("design",), v("data.value")),
        "severity": only(("error",), v("data.severity")),
        "message": only(("error",), v("data.message")),
        "ad_action": only(("ads",), v("data.ad_action")),
        "ad_type": only(("ads",), v("data.ad_type")),
        "ad_placement": only(("ads",), v("data.ad_placement")),
        # user_meta
        "install_ts": v("user_meta.install_ts"),
        "install_hour": v("user_meta.install_hour"),
        "cohort_week": v("user_meta.cohort_week"),
        "cohort_month": v("user_meta.cohort_month"),
        "first_build": v("user_meta.first_build"),
        "origin": v("user_meta.origin"),
        "is_converting": v("user_meta.is_converting"),
        "is_paying": v("user_meta.is_paying"),
        "pay_ft": v("user_meta.pay_ft"),
        "revenue": as_json_object(v("user_meta.revenue")),
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
    return _reason(c, currencies, missing=_is_missing, structural=True)


def plain_reason_column(
    c: Mapping[str, Column], currencies: Mapping[str, Currency], values: FieldValues
) -> Column:
    """`reason_column` for a line the plain parser read (`emr_jobs.plain_parse`), from its
    `values` and the typed values `c` built on them.

    The structure is known to be sound there, and a field is missing exactly when its value
    is null (the parser leaves a present but unusable value to the exact path; `data.amount`
    read as a double is null only when absent or null), so only the field checks run.
    """

    def missing(field: str) -> Column:
        kind = "double" if field == "data.amount" else dict(FIELD_KINDS)[field]
        return values[(field, kind)].isNull()

    return _reason(c, currencies, missing=missing, structural=False)


def _reason(
    c: Mapping[str, Column],
    currencies: Mapping[str, Currency],
    *,
    missing: Missing,
    structural: bool,
) -> Column:
    category = c["category"]
    arrival = c["arrival_ts"]
    is_session_end = category == "session_end"
    is_business = category == "business"

    reason = F.when(missing("arrival_ts"), F.lit("missing_field:arrival_ts"))
    if structural:
        reason = (
            F.when(F.trim(F.col("value")) == "", F.lit("empty_line"))
            .when(F.col("_json_null"), F.lit("invalid_json"))
            .when(F.col("_json_corrupt"), _structure_reason())
            .when(has_text_after_object(F.col("value")), F.lit("invalid_json"))
            .when(missing("arrival_ts"), F.lit("missing_field:arrival_ts"))
        )
    reason = (
        reason.when(arrival.isNull(), F.lit("wrong_type:arrival_ts"))
        .when(arrival < 0, F.lit("negative_value:arrival_ts"))
        .when(arrival > MAX_TIMESTAMP_EPOCH_SECONDS, F.lit("out_of_range:arrival_ts"))
    )
    if structural:
        # (the plain parser reads only lines where `data` is an object)
        reason = reason.when(F.col("_data_null"), F.lit("missing_field:data"))
    reason = reason.when(category.isNull(), F.lit("missing_field:data.category")).when(
        ~category.isin(*CATEGORIES), F.lit("unknown_category")
    )
    checks = [
        _required_string("data.user_id", c["user_id"], USER_ID_BYTES, missing=missing),
        _required_string("data.session_id", c["session_id"], SESSION_ID_BYTES, missing=missing),
        F.when(
            is_session_end,
            _required_number("data.length", c["length"], non_negative=True, missing=missing),
        ),
        F.when(
            is_business,
            F.when(missing("data.currency"), F.lit("missing_field:data.currency")).when(
                ~c["currency"].isin(*sorted(currencies)), F.lit("unknown_currency")
            ),
        ),
        F.when(
            is_business,
            _required_number(
                "data.amount", c["amount_minor"], non_negative=True, missing=missing
            ).when(c["amount_usd"].isNull(), F.lit("out_of_range:data.amount")),
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
