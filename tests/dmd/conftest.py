"""Shared fixtures for the DLPC350 tests: an emulator and a backend on top of it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import SimClock
from lsi_rig.dmd.config import Dlpc350Config
from lsi_rig.dmd.dlpc350.backend import Dlpc350Dmd, create
from lsi_rig.dmd.dlpc350.emulator import Dlpc350Emulator, start_emulator
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.masks.maskset import MaskSet


@pytest.fixture
def emulator() -> Dlpc350Emulator:
    return start_emulator(None)


@pytest.fixture
def dmd(emulator: Dlpc350Emulator) -> Iterator[Dlpc350Dmd]:
    cfg = Dlpc350Config(usb_backend="emulator", usb_timeout_ms=200)
    ctx = BackendContext(rig=None, clock=SimClock(), endpoints=emulator.endpoints)  # type: ignore[arg-type]
    device = create(cfg, ctx)
    yield device
    device.close()


def random_sequence(n: int, shape: tuple[int, int] = (32, 32), seed: int = 0) -> PatternSequence:
    bits = np.random.default_rng(seed).random((n, *shape)) < 0.5
    return PatternSequence.build(MaskSet(bits, f"random{n}", "test"), exposure_us=694.0)
