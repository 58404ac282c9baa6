"""Checks that turn a user's array into a trustworthy binary mask stack.

A DMD mirror is on or off; any other value in a mask file means the file is not what the user
thinks it is (a greyscale picture, real-valued weights that were never binarised, a corrupt
export). We refuse rather than guess, and say which mask and which value is wrong.
"""

from __future__ import annotations

import logging

import numpy as np

from lsi_rig.core.errors import MaskError

logger = logging.getLogger(__name__)

#: Largest mask set accepted: the full demo:hadamard64 basis. The DLPC350 runs at most 512
#: masks per sequence and the LSI models use 4…512; the simulated rig takes the rest.
MAX_MASKS = 4096
#: Longest mask side in mask pixels: the DLP4500 has 912 × 1140 mirrors, so no mask axis can
#: have more pixels than 1140 (whether a set fits a given DMD is checked when it is loaded).
MAX_SIDE_PX = 1140
#: Most mask pixels in one set (n·H·W): 64 Mi, i.e. 1024 masks of 256×256 (64 MiB as bits in
#: memory). The official 512-mask checkpoints need half of it, demo:hadamard64 a quarter.
MAX_MASK_PIXELS = 1 << 26

_SHOW = 8  # indices shown in messages


def _fmt_indices(indices: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:_SHOW])
    more = f", … ({len(indices)} in all)" if len(indices) > _SHOW else ""
    return f"[{shown}{more}]"


def check_count(n: int, origin: str) -> None:
    """Refuse empty and oversized sets (``origin`` names the file in the message)."""
    if n < 1:
        raise MaskError(f"{origin}: the mask set is empty; provide at least one mask")
    if n > MAX_MASKS:
        raise MaskError(
            f"{origin}: {n} masks is more than the supported maximum of {MAX_MASKS}; "
            "take a subset (e.g. demo:hadamard64:4096) or split the set"
        )


def check_shape(shape: tuple[int, ...], origin: str) -> tuple[int, int, int]:
    """Refuse a declared stack shape that is not [n, H, W] within the limits above.

    Called with the shape from a file header, before any pixel data is read, so a 200-byte file
    declaring 10¹⁵ pixels is refused without allocating anything.
    """
    if len(shape) != 3:
        raise MaskError(
            f"{origin}: expected masks of shape [n, H, W], got {len(shape)}-D shape {shape}"
        )
    n, h, w = (int(s) for s in shape)
    check_count(n, f"{origin} (shape {tuple(shape)})")
    if h < 1 or w < 1:
        raise MaskError(f"{origin}: masks have an empty resolution ({h}, {w})")
    if h > MAX_SIDE_PX or w > MAX_SIDE_PX:
        raise MaskError(
            f"{origin}: masks of {h}×{w} pixels are larger than any DMD we drive (at most "
            f"{MAX_SIDE_PX} mask pixels per side); bin the masks down"
        )
    if n * h * w > MAX_MASK_PIXELS:
        raise MaskError(
            f"{origin}: {n} masks of {h}×{w} pixels ({n * h * w} in all) exceed the limit of "
            f"{MAX_MASK_PIXELS} mask pixels per set; use fewer or smaller masks"
        )
    return n, h, w


def binary_stack(array: np.ndarray, origin: str) -> np.ndarray:
    """Validate ``array [n, H, W]`` holding only 0 and 1 and return it as bool.

    Accepts bool, integer and float dtypes (floats must be exactly 0.0 / 1.0).
    """
    arr = np.asarray(array)
    check_shape(arr.shape, origin)
    if arr.dtype == bool:
        bits = arr
    elif np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating):
        if np.issubdtype(arr.dtype, np.floating):
            bad_finite = ~np.isfinite(arr)
            if bad_finite.any():
                where = np.argwhere(bad_finite)[0]
                raise MaskError(
                    f"{origin}: mask {where[0]} has a non-finite value {arr[tuple(where)]} at "
                    f"pixel (row {where[1]}, col {where[2]}); masks must be 0/1"
                )
        is_one = arr == 1
        bad = ~(is_one | (arr == 0))
        if bad.any():
            where = np.argwhere(bad)[0]
            value = arr[tuple(where)].item()
            raise MaskError(
                f"{origin}: mask {where[0]} is not binary: value {value!r} at pixel "
                f"(row {where[1]}, col {where[2]}), {int(bad.sum())} such pixels in all; "
                f"masks must hold only 0/1 (threshold real-valued masks first)"
            )
        bits = is_one
    else:
        raise MaskError(f"{origin}: unsupported mask dtype {arr.dtype}; use bool, int or float")
    warn_degenerate(bits, origin)
    return np.ascontiguousarray(bits, dtype=bool)


def warn_degenerate(bits: np.ndarray, origin: str) -> None:
    """Log masks that carry no spatial information and non-square resolutions."""
    n, h, w = bits.shape
    flat = bits.reshape(n, h * w)
    zeros = np.flatnonzero(~flat.any(axis=1))
    ones = np.flatnonzero(flat.all(axis=1))
    if zeros.size:
        logger.warning(
            "%s: %d all-zero mask(s) at indices %s measure only the dark offset",
            origin,
            zeros.size,
            _fmt_indices(zeros),
        )
    if ones.size:
        logger.warning(
            "%s: %d all-one mask(s) at indices %s measure only the total light "
            "(fine if deliberate, e.g. a Hadamard DC pattern)",
            origin,
            ones.size,
            _fmt_indices(ones),
        )
    if h != w:
        logger.warning("%s: masks are not square (%d×%d mask pixels)", origin, h, w)
