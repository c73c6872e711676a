"""What the warehouse columns hold, as the job checks values against it.

Byte widths of `varchar` columns and the int range come from the table contracts
(`liberta_core.tables`), never restated here: widening a column there widens what the job
accepts. The latest storable instant is `liberta_core.tables.MAX_TIMESTAMP_EPOCH_SECONDS`.
"""

from __future__ import annotations

from liberta_core.tables import (
    D_DEVICE,
    D_ITEM,
    D_USER,
    F_EVENT,
    F_SESSION,
    INTEGER_RANGES,
    Table,
)


def width(table: Table, column: str) -> int:
    """UTF-8 bytes `table.column` holds; a TypeError for a column that is not `varchar(N)`."""
    max_bytes = table.column(column).max_bytes
    if max_bytes is None:
        raise TypeError(f"{table.name}.{column} is not a varchar column")
    return max_bytes


INT_MIN, INT_MAX = INTEGER_RANGES["int"]

# Required strings: a longer value invalidates the record (too_long:<field>).
USER_ID_BYTES = width(D_USER, "user_id")
SESSION_ID_BYTES = width(F_SESSION, "session_id")

# Optional strings: a longer value is dropped (null), the record stays valid.
EVENT_ID_BYTES = width(F_EVENT, "event_id")
COUNTRY_CODE_BYTES = width(D_USER, "country_code")
FIRST_BUILD_BYTES = width(D_USER, "first_build")
ORIGIN_BYTES = width(D_USER, "origin")
PLATFORM_BYTES = width(D_DEVICE, "platform")
OS_VERSION_BYTES = width(D_DEVICE, "os_version")
MANUFACTURER_BYTES = width(D_DEVICE, "manufacturer")
DEVICE_BYTES = width(D_DEVICE, "device")
ITEM_TYPE_BYTES = width(D_ITEM, "item_type")
ITEM_ID_BYTES = width(D_ITEM, "item_id")
CART_TYPE_BYTES = width(D_ITEM, "cart_type")
