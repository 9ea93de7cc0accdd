"""trackbench: which tracker, with which settings, tracks our animals best."""

__version__ = "0.1.0"
