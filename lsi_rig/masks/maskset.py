"""The :class:`MaskSet`: n binary masks of H×W mask pixels, in display order.

A mask set is the one thing that must be identical between the DMD, the session file and the
decoder, so it is immutable and carries a content hash. The hash covers only the binary content
(count, shape and bits), never file names, so the same masks loaded from a checkpoint, an .npz or
a PNG folder hash identically.

Hash definition (stable, version 1)::

    sha256( b"lsi-rig/maskset/v1\\0"
            + uint32 LE n + uint32 LE H + uint32 LE W
            + packbits(bits.reshape(n, H*W), axis=1, bitorder="little") )

where bit j of mask i is pixel (j // W, j % W) (row-major, as the official LSI reshape).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lsi_rig.core.errors import MaskError

HASH_PREFIX = b"lsi-rig/maskset/v1\0"


def maskset_sha256(bits: np.ndarray) -> str:
    """Content hash of a boolean mask stack ``[n, H, W]`` (see module docstring)."""
    n, h, w = bits.shape
    packed = np.packbits(bits.reshape(n, h * w).astype(bool), axis=1, bitorder="little")
    digest = hashlib.sha256()
    digest.update(HASH_PREFIX)
    digest.update(struct.pack("<III", n, h, w))
    digest.update(packed.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class MaskSet:
    """Binary masks ``bits[n, H, W]`` (True = mirror on = light to the detector).

    ``name`` is a short label ("hadamard32", "real_32"); ``source`` says where the masks came
    from (a file path, "demo:hadamard32", "checkpoint:<path>"). ``complementary`` asks the
    sequence builder to follow every mask by its complement for differential measurement.
    """

    bits: np.ndarray
    name: str
    source: str
    complementary: bool = False
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bits = np.asarray(self.bits)
        if bits.ndim != 3:
            raise MaskError(
                f"mask set {self.name!r} ({self.source}): expected an array [n, H, W], "
                f"got shape {bits.shape}"
            )
        if bits.shape[0] < 1 or bits.shape[1] < 1 or bits.shape[2] < 1:
            raise MaskError(f"mask set {self.name!r} ({self.source}): empty shape {bits.shape}")
        bits = np.ascontiguousarray(bits, dtype=bool)
        bits.setflags(write=False)
        object.__setattr__(self, "bits", bits)

    @property
    def n(self) -> int:
        """Number of masks (the length of a measurement vector)."""
        return int(self.bits.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        """Mask resolution (H, W) in mask pixels."""
        return int(self.bits.shape[1]), int(self.bits.shape[2])

    @cached_property
    def sha256(self) -> str:
        return maskset_sha256(self.bits)

    @cached_property
    def fill_factor(self) -> np.ndarray:
        """Fraction of 'on' pixels per mask, float64 [n]."""
        return self.bits.reshape(self.n, -1).mean(axis=1)

    def flat(self, dtype: type | np.dtype = np.float64) -> np.ndarray:
        """Masks as a matrix ``[n, H*W]`` (row-major pixels), for measurement maths."""
        return self.bits.reshape(self.n, -1).astype(dtype)

    def subset(self, count: int) -> MaskSet:
        """The first ``count`` masks (compression studies on ordered sets such as Walsh)."""
        if not 1 <= count <= self.n:
            raise MaskError(f"mask set {self.name!r}: cannot take {count} of {self.n} masks")
        return MaskSet(
            self.bits[:count],
            name=f"{self.name}[:{count}]",
            source=self.source,
            complementary=self.complementary,
            metadata=dict(self.metadata),
        )

    def with_complementary(self, enabled: bool = True) -> MaskSet:
        return MaskSet(self.bits, self.name, self.source, enabled, dict(self.metadata))
