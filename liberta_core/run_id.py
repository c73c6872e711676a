"""The one rule for a run identifier, enforced at the entrance of every path.

A run id names the run's prefix in the curated bucket (`runs/<run_id>/`), the EMR job, the
Data API statements and the `etl.load_log` row. On AWS it is the Step Functions execution name
(at most 80 characters there); locally `liberta run` makes one (`new_run_id`). The rule:
1 to 80 characters of ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit.
So it is safe in an S3 key, in a file name and inside SQL text (no quote can occur), and it
fits `etl.load_log.run_id varchar(80)`.

The state machine checks the same rule with its own means (`infra.pipeline.run_identity`),
derived from the constants here.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime

RUN_ID_MAX_LENGTH = 80
RUN_ID_PUNCTUATION = "._-"
RUN_ID_ALPHABET = string.ascii_letters + string.digits + RUN_ID_PUNCTUATION
_RUN_ID = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9{re.escape(RUN_ID_PUNCTUATION)}]{{0,{RUN_ID_MAX_LENGTH - 1}}}"
)


class RunIdError(ValueError):
    """A run id breaks the rule; the message quotes it and states the rule."""


RULE_TEXT = (
    f"1-{RUN_ID_MAX_LENGTH} characters of letters, digits, '.', '_' or '-', starting with a "
    "letter or digit"
)


def is_valid_run_id(value: object) -> bool:
    return isinstance(value, str) and _RUN_ID.fullmatch(value) is not None


def check_run_id(value: object) -> str:
    """`value` if it follows the rule, else `RunIdError`."""
    if not is_valid_run_id(value):
        raise RunIdError(f"run id {value!r} is not usable: use {RULE_TEXT}")
    return str(value)


def new_run_id(now: datetime) -> str:
    """Sortable by time, unique across concurrent starts: `20261201T093000Z-1a2b3c4d`."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
