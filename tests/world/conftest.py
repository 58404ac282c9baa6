"""Shared helpers for the world tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lsi_rig.world import World, WorldConfig


def make_world(**sections: Any) -> World:
    """A world from WorldConfig sections given as dicts, e.g. noise={"shot": False}."""
    return World(WorldConfig.model_validate(sections))


QUIET = {"shot": False, "amplifier": False, "daq": False, "quantisation": False}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def random_image(rng: np.random.Generator, shape: tuple[int, int] = (256, 256)) -> np.ndarray:
    return rng.integers(0, 256, (*shape, 3), dtype=np.uint8)


def run_pass(
    world: World, masks: np.ndarray, exposure_us: float = 250.0, period_us: float | None = None
) -> float:
    """Load and start masks, return the start of the next full pass."""
    world.load_patterns(
        masks, level="mask", exposure_us=exposure_us, period_us=period_us or exposure_us
    )
    world.start_sequence()
    t0 = world.next_sequence_start_s(world.clock.now_s())
    assert t0 is not None
    return t0
