"""Errors of the warehouse load."""

from __future__ import annotations


class LoadError(RuntimeError):
    """A load failed and was rolled back; the message names the run, table and file involved."""
