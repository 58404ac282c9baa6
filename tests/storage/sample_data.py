"""Deterministic session metadata and records for the storage tests and the kill-storm script.

Record ``i`` is a pure function of ``i`` (and the shapes), so a process that only knows which
indices were committed can verify every stored value bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lsi_rig.core.calibration import CalibrationSnapshot
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import SessionMetadata

RIG_YAML = "rig:\n  name: test-rig\ndmd:\n  backend: sim\n"


def make_masks(n: int = 16, h: int = 8, w: int = 8, seed: int = 1) -> MaskSet:
    bits = np.random.default_rng(seed).random((n, h, w)) < 0.5
    return MaskSet(bits, name=f"random{n}", source="test:random", metadata={"seed": str(seed)})


def make_metadata(
    n: int = 16,
    *,
    reference_every: int | None = 4,
    n_scenes: int = 3,
    trace_shape: tuple[int, int] | None = None,
    calibration: CalibrationSnapshot | None = None,
    extra: dict[str, Any] | None = None,
) -> SessionMetadata:
    masks = make_masks(n)
    seq = PatternSequence.build(
        masks, exposure_us=250.0, period_us=300.0, reference_every=reference_every
    )
    scenes = [
        SceneInfo(f"scene_{i:03d}", f"/data/faces/scene_{i:03d}.png", f"{i:064x}", 256, 256)
        for i in range(n_scenes)
    ]
    return SessionMetadata(
        rig_name="test-rig",
        rig_config_yaml=RIG_YAML,
        devices={
            "dmd": {"backend": "sim", "model": "DLP4500", "firmware": [4, 1, 0]},
            "detector": {"backend": "sim", "gain_db": 30, "range_v": 5.0},
        },
        masks=masks,
        sequence=seq,
        scenes=scenes,
        calibration=calibration,
        command="lsi-rig capture --demo",
        trace_shape=trace_shape,
        extra=extra or {},
    )


def make_calibration(rig_name: str = "test-rig", scale: float = 2.5) -> CalibrationSnapshot:
    """A small calibration: a YAML text and two arrays."""
    return CalibrationSnapshot.create(
        rig_name=rig_name,
        content_yaml=f"rig: {rig_name}\nscale_to_official: {scale}\nnote: ünïcode\n",
        arrays={"gain": np.linspace(0.5, 1.5, 16), "offset_v": np.arange(16, dtype=np.float32)},
        source="/lab/calibration/test-rig.yaml",
    )


def n_refs(metadata: SessionMetadata) -> int:
    return int(np.count_nonzero(metadata.sequence.kinds == PatternKind.DARK))


def make_record(i: int, metadata: SessionMetadata) -> MeasurementRecord:
    """Record ``i``: deterministic values, different in every field and every record."""
    rng = np.random.default_rng(10_000 + i)
    p, n = metadata.sequence.n_patterns, metadata.masks.n
    trace = None
    if metadata.trace_shape is not None:
        trace = rng.standard_normal(metadata.trace_shape).astype(np.float32)
    n_scenes = max(1, len(metadata.scenes))
    samples = rng.standard_normal(p).astype(np.float32)
    seq = metadata.sequence
    mask_pos = seq.positions(PatternKind.MASK)
    raw = np.empty(n, dtype=np.float32)
    raw[seq.mask_index[mask_pos]] = samples[mask_pos]  # raw/dark/bright are views of samples
    return MeasurementRecord(
        scene_index=i % n_scenes,
        repeat_index=i // n_scenes,
        t_start_ns=1_700_000_000_000_000_000 + i * 1_000_003,
        t_end_ns=1_700_000_000_000_000_000 + i * 1_000_003 + 777,
        samples_v=samples,
        raw_v=raw,
        vector_v=rng.standard_normal(n).astype(np.float32),
        dark_v=samples[seq.positions(PatternKind.DARK)],
        bright_v=samples[seq.positions(PatternKind.BRIGHT)],
        exposure_us=250.0 + i,
        period_us=300.0 + i,
        gain_db=float(i % 8) * 10.0,
        range_v=[1.0, 2.0, 5.0, 10.0][i % 4],
        n_averaged=1 + i % 5,
        flags=RecordFlags(i % 1024),
        trace_v=trace,
        calibrated_v=None
        if metadata.calibration is None
        else rng.standard_normal(n).astype(np.float32),
    )


def assert_record_equal(got: MeasurementRecord, want: MeasurementRecord, where: str = "") -> None:
    for name in ("scene_index", "repeat_index", "t_start_ns", "t_end_ns", "n_averaged", "flags"):
        assert getattr(got, name) == getattr(want, name), f"{where} {name}"
    for name in ("exposure_us", "period_us", "gain_db", "range_v"):
        assert getattr(got, name) == getattr(want, name), f"{where} {name}"
    for name in ("samples_v", "raw_v", "vector_v", "dark_v", "bright_v", "calibrated_v"):
        g, w = getattr(got, name), getattr(want, name)
        if w is None:
            assert g is None, f"{where} {name}"
            continue
        assert g.dtype == np.float32, f"{where} {name} dtype {g.dtype}"
        assert g.tobytes() == np.asarray(w, np.float32).tobytes(), f"{where} {name}"
    if want.trace_v is None:
        assert got.trace_v is None or np.isnan(got.trace_v).all(), f"{where} trace_v"
    else:
        assert got.trace_v is not None
        assert got.trace_v.tobytes() == want.trace_v.tobytes(), f"{where} trace_v"
