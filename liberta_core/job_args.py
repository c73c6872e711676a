"""The Spark job's command line: one builder for every caller, one set of flag names.

`emr_jobs.config.build_parser` declares its options with the flag names below, and both
orchestrators build the argument list with `JobArguments.to_list()`: the local runner with
plain values, the state machine with `RuntimeValue`s (JSONPaths it fills in per execution).
A renamed flag therefore changes both sides at once, and a test parses what the state machine
sends with the job's own parser.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW = "--raw"
CURATED = "--curated"
RUN_ID = "--run-id"
SINCE = "--since"
UNTIL = "--until"
FULL_REFRESH = "--full-refresh"
MAX_BAD_SHARE = "--max-bad-share"
STAGING = "--staging"


@dataclass(frozen=True)
class RuntimeValue:
    """A value known only when the job starts: a JSONPath into the state machine's data."""

    path: str


Arg = str | RuntimeValue


@dataclass(frozen=True, kw_only=True)
class JobArguments:
    """What one run of the job processes. `since`/`until` only without `full_refresh`."""

    raw: Arg
    curated: Arg
    run_id: Arg
    since: Arg | None = None
    until: Arg | None = None
    full_refresh: bool = False
    max_bad_share: float | None = None
    staging: Arg | None = None

    def __post_init__(self) -> None:
        if self.full_refresh and (self.since is not None or self.until is not None):
            raise ValueError("a full refresh reads every partition: give no since/until")
        if not self.full_refresh and (self.since is None or self.until is None):
            raise ValueError("an incremental run needs since and until")

    def to_list(self) -> list[Arg]:
        args: list[Arg] = [RAW, self.raw, CURATED, self.curated, RUN_ID, self.run_id]
        if self.full_refresh:
            args.append(FULL_REFRESH)
        else:
            assert self.since is not None and self.until is not None
            args += [SINCE, self.since, UNTIL, self.until]
        if self.max_bad_share is not None:
            args += [MAX_BAD_SHARE, repr(float(self.max_bad_share))]
        if self.staging is not None:
            args += [STAGING, self.staging]
        return args

    def to_strings(self) -> list[str]:
        """The list for a local call: every value must be known."""
        args = self.to_list()
        unknown = [a.path for a in args if isinstance(a, RuntimeValue)]
        if unknown:
            raise ValueError(f"values only known at run time: {unknown}")
        return [str(a) for a in args]
