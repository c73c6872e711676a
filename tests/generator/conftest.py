"""Fixtures for the raw-event generator tests: small generated data sets, shared per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from generator_contract import FAULTY

from liberta.generator import GenerationSummary, GeneratorConfig, generate


@pytest.fixture(scope="session")
def make_dataset(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., tuple[GenerationSummary, Path]]:
    def make(name: str, **overrides: object) -> tuple[GenerationSummary, Path]:
        out = tmp_path_factory.mktemp(name)
        config = GeneratorConfig(**{**FAULTY, **overrides, "out": str(out)})  # type: ignore[arg-type]
        return generate(config), out

    return make


@pytest.fixture(scope="session")
def faulty(
    make_dataset: Callable[..., tuple[GenerationSummary, Path]],
) -> tuple[GenerationSummary, Path]:
    """A data set with every kind of fault, uncompressed (fast to read)."""
    return make_dataset("faulty")


@pytest.fixture(scope="session")
def long_running(
    make_dataset: Callable[..., tuple[GenerationSummary, Path]],
) -> tuple[GenerationSummary, Path]:
    """Forty days and many players, no faults: enough for retention and payer shares."""
    return make_dataset(
        "long",
        events=100_000,
        days=40,
        players=2_000,
        duplicate_rate=0.0,
        late_rate=0.0,
        corrupt_rate=0.0,
        files_per_day=1,
    )
