"""Where the checkout is: children run from it, and scripts and docs are found below it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
"""The repository's root (so `python -m benchmarks.…` or `customer_async` resolve from it)."""
