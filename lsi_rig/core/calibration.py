"""A rig calibration as every layer sees it: the stored snapshot, and what applying it means.

The calibration wizards (``lsi_rig.calibration``) measure the rig and produce an
:class:`AppliedCalibration`; capture jobs apply it (scenes drawn through it, vectors calibrated
by it) without knowing how it was measured; a session stores its :class:`CalibrationSnapshot`
(text, arrays and content hash) at creation, so calibrated vectors can be re-derived and a
resumed capture can check it runs with the same calibration. The hash covers the content only
(text and arrays), not where it came from or when it was made, so the same calibration loaded
twice hashes the same.
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import numpy as np

HASH_PREFIX = b"lsi-rig/calibration/v1\0"


def _canonical(array: np.ndarray) -> np.ndarray:
    """C-ordered, little-endian: the byte form the hash (and the file) sees."""
    a = np.ascontiguousarray(array)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return a


def calibration_sha256(content_yaml: str, arrays: Mapping[str, np.ndarray]) -> str:
    """``sha256(prefix + u64 len + yaml utf-8 + per array in name order: u32 len + name utf-8
    + u32 len + dtype.str + u32 ndim + u64 shape... + C-order little-endian bytes)``."""
    digest = hashlib.sha256(HASH_PREFIX)
    text = content_yaml.encode("utf-8")
    digest.update(struct.pack("<Q", len(text)) + text)
    for name in sorted(arrays):
        a = _canonical(np.asarray(arrays[name]))
        for part in (name.encode("utf-8"), a.dtype.str.encode("ascii")):
            digest.update(struct.pack("<I", len(part)) + part)
        digest.update(struct.pack(f"<I{a.ndim}Q", a.ndim, *a.shape))
        digest.update(a.tobytes())
    return digest.hexdigest()


def utc_now_iso() -> str:
    dt = datetime.fromtimestamp(time.time(), tz=UTC)
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, eq=False)
class CalibrationSnapshot:
    """A calibration as stored in a session.

    ``content_yaml``: the calibration's text (YAML); ``arrays``: its numeric tables (e.g.
    per-mask gains, a scale to the official simulation's units), name → array; ``sha256``:
    :func:`calibration_sha256` of both; ``source``: where it came from (a file path);
    ``created_utc``: when the calibration was made (ISO-8601 UTC).
    """

    rig_name: str
    created_utc: str
    sha256: str
    content_yaml: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def create(
        cls,
        *,
        rig_name: str,
        content_yaml: str,
        arrays: Mapping[str, np.ndarray] | None = None,
        source: str = "",
        created_utc: str | None = None,
    ) -> CalibrationSnapshot:
        """A snapshot with its hash computed from the content."""
        arrays_ = {k: _canonical(np.asarray(v)) for k, v in (arrays or {}).items()}
        return cls(
            rig_name=rig_name,
            created_utc=created_utc or utc_now_iso(),
            sha256=calibration_sha256(content_yaml, arrays_),
            content_yaml=content_yaml,
            arrays=arrays_,
            source=source,
        )

    def content_sha256(self) -> str:
        """The hash the content has now (equals ``sha256`` unless something changed it)."""
        return calibration_sha256(self.content_yaml, self.arrays)


@runtime_checkable
class AppliedCalibration(Protocol):
    """What a capture needs of a calibration."""

    @property
    def snapshot(self) -> CalibrationSnapshot: ...

    def scene_image(self, image: np.ndarray) -> np.ndarray:
        """The uint8 RGB image to put on the monitor for scene ``image`` (linearised for the
        monitor's response, registered to the mask area)."""
        ...

    def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
        """Offset-corrected vector [n] (volts, mask order) -> the official simulation's scale."""
        ...
