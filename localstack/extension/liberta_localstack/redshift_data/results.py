"""Result sets as the Data API returns them: Redshift type names and typed `Field` values.

Redshift's choices (GetStatementResult): integers -> `longValue`, float4/float8 ->
`doubleValue`, booleans -> `booleanValue`, NULL -> `isNull: true`, everything else (numeric,
varchar, char, date, timestamp, timestamptz, time, super) -> `stringValue` in Redshift's text
form ('2026-11-01 06:00:00', '12.500000'). Postgres sends every value as text here (all
loaders are text loaders), so the strings are Postgres's own output, which matches
Redshift's for these types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.adapt import Loader

# Postgres type name -> the name Redshift reports in ColumnMetadata.typeName.
_REDSHIFT_TYPE_NAMES = {
    "text": "varchar",
    "name": "varchar",
    "json": "super",
    "jsonb": "super",
    "uuid": "varchar",
}
_LONG_TYPES = {"int2", "int4", "int8", "oid"}
_DOUBLE_TYPES = {"float4", "float8"}
_SIGNED_TYPES = _LONG_TYPES | _DOUBLE_TYPES | {"numeric"}
_TEXT_TYPES = {"varchar", "bpchar", "text", "name", "char"}


class TextLoader(Loader):
    def load(self, data: Any) -> str:
        return bytes(data).decode("utf-8")


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    length: int
    precision: int
    scale: int

    @property
    def redshift_type(self) -> str:
        return _REDSHIFT_TYPE_NAMES.get(self.pg_type, self.pg_type)

    def metadata(self) -> dict[str, Any]:
        return {
            "isCaseSensitive": self.pg_type in _TEXT_TYPES,
            "isCurrency": False,
            "isSigned": self.pg_type in _SIGNED_TYPES,
            "label": self.name,
            "name": self.name,
            "nullable": 1,
            "precision": self.precision,
            "scale": self.scale,
            "schemaName": "",
            "tableName": "",
            "typeName": self.redshift_type,
            "length": self.length,
        }

    def field(self, value: str | None) -> dict[str, Any]:
        if value is None:
            return {"isNull": True}
        if self.pg_type in _LONG_TYPES:
            return {"longValue": int(value)}
        if self.pg_type in _DOUBLE_TYPES:
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                return {"stringValue": value}
            return {"doubleValue": number}
        if self.pg_type == "bool":
            return {"booleanValue": value in ("t", "true")}
        return {"stringValue": value}


def columns_of(cur: psycopg.Cursor, type_names: dict[int, str]) -> list[Column]:
    columns = []
    for desc in cur.description or []:
        pg_type = type_names.get(desc.type_code, "varchar")
        precision = desc.precision or 0
        length = desc.internal_size if desc.internal_size and desc.internal_size > 0 else 0
        if pg_type in ("varchar", "bpchar") and desc.display_size:
            length = precision = desc.display_size
        columns.append(
            Column(
                name=desc.name,
                pg_type=pg_type,
                length=length,
                precision=precision,
                scale=desc.scale or 0,
            )
        )
    return columns


def type_names(conn: psycopg.Connection, oids: set[int]) -> dict[int, str]:
    if not oids:
        return {}
    rows = conn.execute(
        "SELECT oid::int, typname::text FROM pg_type WHERE oid = ANY(%s)", (list(oids),)
    ).fetchall()
    return {int(oid): name for oid, name in rows}
