"""The order scenes are shown in: the manifest's, or a seeded permutation of it.

A shuffled order spreads slow drifts of the rig (lamp, temperature) over both splits and all
identities instead of over the last hours of a batch. The permutation is stored in the session
(``batch_manifest_row``) and a resume takes it from there, so an interrupted batch continues in
exactly the same order whatever the random-number library does in the meantime.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

import numpy as np


class ScanOrder(StrEnum):
    FIXED = "fixed"
    SHUFFLED = "shuffled"


def choose_seed(order: ScanOrder, seed: int | None) -> int | None:
    """The seed to use and store: the given one, a fresh random one for a shuffled order
    without a seed (stored, so the run can be repeated), None for the fixed order."""
    if order is ScanOrder.FIXED:
        return None
    return seed if seed is not None else secrets.randbelow(2**31)


def scene_order(n: int, order: ScanOrder, seed: int | None) -> np.ndarray:
    """Manifest positions in display order (int64 [n])."""
    if order is ScanOrder.FIXED:
        return np.arange(n, dtype=np.int64)
    if seed is None:
        raise ValueError("a shuffled order needs a seed (see choose_seed)")
    return np.random.default_rng(seed).permutation(n).astype(np.int64)
