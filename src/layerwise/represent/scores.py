"""Putting similarity signals on one scale."""

from __future__ import annotations

import numpy as np


def zscore(values: np.ndarray) -> np.ndarray:
    """How unusual each value is among these values (0 for all when they are all equal)."""
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)
