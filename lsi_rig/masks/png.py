"""Mask sets from a folder of PNGs, one mask per file.

A mirror is on or off, so a mask PNG must say exactly that: 1-bit, or grey/RGB with the two
values {0, 1} or {0, max} (max = 255, or 65535 for 16-bit files). Anything else (grey levels,
colour, transparency, several frames) means the file is not what the user thinks and is refused
with the value and pixel that gave it away. The image size is checked from the header before any
pixel is decoded, so a 20000×20000 PNG among the masks costs nothing.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import MaskError
from lsi_rig.core.naming import natural_key
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.masks.validate import MAX_SIDE_PX, check_count, check_shape, warn_degenerate

PNG_SUFFIXES = (".png",)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def _decoded(file: Path) -> tuple[str, np.ndarray]:
    """(mode, pixels) of one PNG, refusing oversized, animated or transparent files."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(file)
        with img:
            width, height = img.size
            if width > MAX_SIDE_PX or height > MAX_SIDE_PX:
                raise MaskError(
                    f"{file}: mask is {height}×{width} pixels, larger than any DMD we drive "
                    f"(at most {MAX_SIDE_PX} per side); bin the mask down"
                )
            frames = int(getattr(img, "n_frames", 1))
            if frames > 1:
                raise MaskError(f"{file}: PNG has {frames} frames; save one mask per file")
            img.load()
            mode = img.mode
            if mode == "P":  # palette PNGs: judge the colours, not the indices
                has_alpha = "transparency" in img.info
                rgb = img.convert("RGBA" if has_alpha else "RGB")
                mode, array = rgb.mode, np.asarray(rgb)
            else:
                array = np.asarray(img)
    except MaskError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MaskError(f"{file}: image is far too large to be a mask ({exc})") from exc
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError) as exc:
        raise MaskError(f"{file}: cannot read PNG ({exc}); re-export the mask") from exc
    if mode in ("LA", "RGBA", "PA"):
        alpha = array[..., -1]
        if (alpha != 255).any():
            row, col = np.argwhere(alpha != 255)[0]
            raise MaskError(
                f"{file}: mask has transparent pixels (alpha {int(alpha[row, col])} at row "
                f"{row}, col {col}); a mirror is on or off: save the mask without alpha"
            )
        array = array[..., :-1] if mode != "LA" else array[..., 0]
        mode = "RGB" if mode != "LA" else "L"
    return mode, array


def png_bits(file: Path) -> np.ndarray:
    """One PNG as a bool [H, W]: 1-bit, or grey/RGB with values {0, 1} or {0, max}."""
    mode, array = _decoded(file)
    if mode == "1":
        return array.astype(bool)
    if mode == "RGB":
        if not (
            np.array_equal(array[..., 0], array[..., 1])
            and np.array_equal(array[..., 0], array[..., 2])
        ):
            raise MaskError(f"{file}: RGB mask with unequal channels; save it as greyscale 0/255")
        array = array[..., 0]
        full = 255
    elif mode == "L":
        full = 255
    elif mode in _SIXTEEN_BIT:
        full = 65535
    else:
        raise MaskError(
            f"{file}: unsupported PNG mode {mode!r}; use 1-bit, 8-bit or 16-bit greyscale"
        )
    values = np.unique(array)
    present = set(values.tolist())
    if present <= {0, 1}:
        return array == 1
    if present <= {0, full}:
        return array == full
    odd = [int(v) for v in values if v not in (0, full)][:4]
    row, col = np.argwhere(array == odd[0])[0]
    raise MaskError(
        f"{file}: mask is not binary: value {odd[0]} at pixel (row {row}, col {col}) "
        f"(values present: {values.tolist()[:8]}); use only 0/{full} (or 0/1)"
    )


def _header_size(file: Path) -> tuple[int, int]:
    """(height, width) from the PNG header, without decoding pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as img:
                width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MaskError(f"{file}: image is far too large to be a mask ({exc})") from exc
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError) as exc:
        raise MaskError(f"{file}: cannot read PNG ({exc}); re-export the mask") from exc
    return height, width


def load_png_folder(folder: Path) -> MaskSet:
    """All ``*.png`` in ``folder`` (natural name order) as one mask set; sizes must agree."""
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PNG_SUFFIXES),
        key=lambda p: natural_key(p.name),
    )
    if not files:
        raise MaskError(f"{folder}: folder holds no .png masks; the mask set is empty")
    check_count(len(files), str(folder))
    height, width = _header_size(files[0])
    check_shape((len(files), height, width), f"{folder} ({files[0].name})")
    bits = np.empty((len(files), height, width), dtype=bool)
    for i, file in enumerate(files):
        h, w = _header_size(file) if i else (height, width)
        if (h, w) != (height, width):
            raise MaskError(
                f"{file}: mask {i} is {h}×{w} pixels but {files[0].name} is "
                f"{height}×{width}; all masks must match"
            )
        mask = png_bits(file)
        if mask.shape != (height, width):  # the header said otherwise: a corrupt file
            raise MaskError(f"{file}: decoded size {mask.shape} differs from its header")
        bits[i] = mask
    warn_degenerate(bits, str(folder))
    return MaskSet(bits, name=folder.name, source=str(folder))
