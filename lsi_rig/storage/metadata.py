"""What a session knows before its first record, and how that is laid into a new file.

Everything static is written before the file switches to SWMR mode: the rig config, device
descriptions, mask set (with its content hash), pattern sequence, scenes of the whole plan,
calibration snapshot, plus the small mutable ``/run`` and ``/log`` datasets and the empty,
resizable record datasets that the writer fills afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from lsi_rig import __version__
from lsi_rig.core.calibration import CalibrationSnapshot
from lsi_rig.core.errors import SessionError
from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.masks.maskset import HASH_PREFIX, MaskSet
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import layout as L
from lsi_rig.storage.calibration import check_snapshot, write_calibration
from lsi_rig.storage.liveness import WriterIdentity
from lsi_rig.storage.values import (
    TEXT_DTYPE,
    check_name,
    to_json,
    write_mapping,
    write_text,
    write_value,
)


@dataclass
class SessionMetadata:
    """The static description of one capture session (see ``docs/session-format.md``).

    With a ``calibration``, every record must carry ``calibrated_v`` (stored beside the raw
    vectors in ``/records/calibrated_v``).
    """

    rig_name: str
    rig_config_yaml: str
    devices: dict[str, dict[str, Any]]
    masks: MaskSet
    sequence: PatternSequence
    scenes: list[SceneInfo]
    calibration: CalibrationSnapshot | None = None
    command: str = ""
    trace_shape: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class SamplePositions:
    """Where each derived record field sits in ``samples_v`` (display order)."""

    mask: np.ndarray  # [n]: sample index of mask i (mask order)
    dark: np.ndarray  # [k]
    bright: np.ndarray  # [k]

    @classmethod
    def of(cls, kinds: np.ndarray, mask_index: np.ndarray, n: int) -> SamplePositions:
        kinds = np.asarray(kinds)
        mask_pos = np.flatnonzero(kinds == PatternKind.MASK)
        mask = np.full(n, -1, dtype=np.intp)
        mask[np.asarray(mask_index)[mask_pos]] = mask_pos
        return cls(
            mask=mask,
            dark=np.flatnonzero(kinds == PatternKind.DARK),
            bright=np.flatnonzero(kinds == PatternKind.BRIGHT),
        )

    def field(self, name: str) -> np.ndarray:
        return {"raw_v": self.mask, "dark_v": self.dark, "bright_v": self.bright}[name]


@dataclass(frozen=True)
class RecordShape:
    """Widths of the per-record vectors, fixed by the pattern sequence."""

    n_patterns: int
    n: int
    n_dark: int
    n_bright: int
    trace_shape: tuple[int, int] | None
    positions: SamplePositions | None = None
    calibrated: bool = False

    @classmethod
    def of(cls, metadata: SessionMetadata) -> RecordShape:
        seq = metadata.sequence
        trace = metadata.trace_shape
        if trace is not None:
            trace = (int(trace[0]), int(trace[1]))
            if trace[0] < 1 or trace[1] < 1:
                raise SessionError(f"session metadata trace_shape {trace}: must be positive")
        positions = SamplePositions.of(seq.kinds, seq.mask_index, metadata.masks.n)
        return cls(
            n_patterns=seq.n_patterns,
            n=metadata.masks.n,
            n_dark=int(positions.dark.size),
            n_bright=int(positions.bright.size),
            trace_shape=trace,
            positions=positions,
            calibrated=metadata.calibration is not None,
        )

    def width(self, name: str) -> int:
        return {
            "samples_v": self.n_patterns,
            "raw_v": self.n,
            "vector_v": self.n,
            L.CALIBRATED: self.n,
            "dark_v": self.n_dark,
            "bright_v": self.n_bright,
        }[name]


def _write_masks(f: h5py.File, masks: MaskSet) -> None:
    g = f.create_group(L.MASKS)
    n, h, w = masks.bits.shape
    packed = np.packbits(masks.bits.reshape(n, h * w), axis=1, bitorder="little")
    g.create_dataset("bits_packed", data=packed)
    g.create_dataset("fill_factor", data=masks.fill_factor.astype(np.float64))
    write_text(g, "metadata_json", to_json(dict(masks.metadata), "masks.metadata"))
    g.attrs.update(
        {
            "name": masks.name,
            "source": masks.source,
            "n": n,
            "height": h,
            "width": w,
            "complementary": bool(masks.complementary),
            "sha256": masks.sha256,
            "hash_prefix": HASH_PREFIX.rstrip(b"\0").decode(),
            "bitorder": "little",
        }
    )


def _write_sequence(f: h5py.File, seq: PatternSequence, extra: dict[str, Any]) -> None:
    g = f.create_group(L.SEQUENCE)
    p = seq.n_patterns
    g.create_dataset("kinds", data=np.asarray(seq.kinds, dtype=np.int8))
    g.create_dataset("mask_index", data=np.asarray(seq.mask_index, dtype=np.int32))
    g.create_dataset("exposure_us", data=np.full(p, seq.exposure_us, dtype=np.float64))
    g.create_dataset("period_us", data=np.full(p, seq.period_us, dtype=np.float64))
    g.attrs["kind_codes"] = to_json({k.name: int(k) for k in PatternKind}, "kind codes")
    g.attrs["n_patterns"] = p
    if L.BITPLANE_MAP_KEY in extra:
        write_value(g, "bitplane_map", extra[L.BITPLANE_MAP_KEY], "extra")


def _write_scenes(f: h5py.File, scenes: list[SceneInfo]) -> None:
    g = f.create_group(L.SCENES)
    g.attrs["count"] = len(scenes)
    for col in ("scene_id", "path", "sha256"):
        g.create_dataset(col, data=[getattr(s, col) for s in scenes], dtype=TEXT_DTYPE)
    g.create_dataset("height", data=np.array([s.height for s in scenes], dtype=np.int32))
    g.create_dataset("width", data=np.array([s.width for s in scenes], dtype=np.int32))


def _record_dataset(g: h5py.Group, name: str, row_shape: tuple[int, ...], dtype: Any) -> None:
    row_nbytes = int(np.prod(row_shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    rows = L.chunk_rows(row_nbytes)
    if 0 in row_shape:  # zero-width rows (no references): a chunk must still be >= 1 wide
        g.create_dataset(name, shape=(0, *row_shape), maxshape=(None, *row_shape), dtype=dtype)
        return
    g.create_dataset(
        name,
        shape=(0, *row_shape),
        maxshape=(None, *row_shape),
        chunks=(rows, *row_shape),
        dtype=dtype,
    )


def _write_records(f: h5py.File, shape: RecordShape) -> None:
    g = f.create_group(L.RECORDS)
    _record_dataset(g, "table", (), L.RECORD_DTYPE)
    for name in L.VECTOR_DATASETS:
        _record_dataset(g, name, (shape.width(name),), L.VECTOR_DTYPE)
        g[name].attrs["units"] = "V"
    if shape.trace_shape is not None:
        _record_dataset(g, L.TRACE, shape.trace_shape, L.VECTOR_DTYPE)
        g[L.TRACE].attrs["units"] = "V"
    if shape.calibrated:
        _record_dataset(g, L.CALIBRATED, (shape.n,), L.VECTOR_DTYPE)
        g[L.CALIBRATED].attrs["units"] = "official simulation scale"
    units = {"t_start_ns": "ns UTC", "t_end_ns": "ns UTC", "exposure_us": "us"}
    units.update({"period_us": "us", "gain_db": "dB", "range_v": "V"})
    g["table"].attrs["units"] = to_json(units, "units")


def write_static(
    f: h5py.File,
    metadata: SessionMetadata,
    *,
    session_uuid: str,
    created_utc: str,
    identity: WriterIdentity,
    heartbeat_ns: int,
) -> None:
    """Lay out every object of a new session file (the file is not yet in SWMR mode)."""
    if metadata.sequence.masks is not metadata.masks and (
        metadata.sequence.masks.sha256 != metadata.masks.sha256
    ):
        raise SessionError(
            "session metadata: the pattern sequence was built from another mask set "
            f"({metadata.sequence.masks.name!r}) than metadata.masks ({metadata.masks.name!r})"
        )
    shape = RecordShape.of(metadata)
    if metadata.calibration is not None:
        check_snapshot(metadata.calibration)
    f.attrs.update(
        {
            "format": L.FORMAT_NAME,
            "schema_version": L.SCHEMA_VERSION,
            "software_version": __version__,
            "h5py_version": h5py.version.version,
            "hdf5_version": h5py.version.hdf5_version,
            "session_uuid": session_uuid,
            "created_utc": created_utc,
            "rig_name": metadata.rig_name,
            "command": metadata.command,
        }
    )
    run = f.create_group(L.RUN)
    run.attrs.update(
        {
            "writer_host": identity.host,
            "writer_pid": identity.pid,
            "writer_boot_id": identity.boot_id,
            "writer_start_ticks": identity.start_ticks,
        }
    )
    run.create_dataset("status", data=np.array(L.RunStatus.RUNNING.value, dtype=L.STATUS_DTYPE))
    run.create_dataset("finished_utc", data=np.array(b"", dtype=L.TIME_DTYPE))
    run.create_dataset("n_records", data=np.array(0, dtype=np.int64))
    run.create_dataset("heartbeat_ns", data=np.array(heartbeat_ns, dtype=np.int64))
    log = f.create_group(L.LOG)
    log.create_dataset("bytes", shape=(0,), maxshape=(None,), chunks=(4096,), dtype=np.uint8).attrs[
        "encoding"
    ] = "utf-8"
    log.create_dataset("n_bytes", data=np.array(0, dtype=np.int64))
    cfg = f.create_group(L.CONFIG)
    write_text(cfg, "rig_config_yaml", metadata.rig_config_yaml)
    devices = cfg.create_group("devices")
    for kind, description in metadata.devices.items():
        write_text(devices, check_name(kind, "devices"), to_json(description, f"device {kind!r}"))
        devices[kind].attrs["encoding"] = "json"
    extra = {k: v for k, v in metadata.extra.items() if k != L.BITPLANE_MAP_KEY}
    write_mapping(cfg.create_group("extra"), extra, "extra")
    _write_masks(f, metadata.masks)
    _write_sequence(f, metadata.sequence, metadata.extra)
    _write_scenes(f, metadata.scenes)
    write_calibration(f, metadata.calibration)
    _write_records(f, shape)
