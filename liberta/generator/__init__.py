"""Realistic raw game events in the contract of docs/raw-events.md (`liberta generate`)."""

from liberta.generator.config import GeneratorConfig
from liberta.generator.engine import generate
from liberta.generator.summary import SUMMARY_NAME, GenerationSummary

__all__ = ["SUMMARY_NAME", "GenerationSummary", "GeneratorConfig", "generate"]
