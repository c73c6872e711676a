"""Errors of the warehouse load and bootstrap."""

from __future__ import annotations


class LoadError(RuntimeError):
    """A load failed and was rolled back; the message names the run, table and file involved."""


class BootstrapError(RuntimeError):
    """The schema could not be applied; nothing was changed (the message says what blocks it)."""
