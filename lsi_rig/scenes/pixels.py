"""Any image Pillow opens → the 8-bit sRGB pixels the monitor shows, or a clear refusal.

``Image.convert("RGB")`` is right for 8-bit images but silently wrong for others: it clips
16-bit grey to 255 (a 16-bit PNG scene came out 99.6 % white), drops alpha without looking at
what is under it, maps floats by truncation and converts CMYK without colour management. Every
mode is handled explicitly here; what cannot be converted faithfully is refused, what is
converted by a convention gets a warning that says which. The size is checked from the header
before any pixel is decoded, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lsi_rig.core.errors import SceneError

if TYPE_CHECKING:
    from PIL import Image

#: Largest image accepted as a scene, before resizing: 8192×8192 (64 Mi pixels, 192 MiB RGB).
MAX_SCENE_PIXELS = 1 << 26
#: Largest ``size`` a scene may be resized to (its side in pixels).
MAX_SCENE_SIDE_PX = 8192

_EIGHT_BIT_RGB = ("1", "L", "YCbCr", "RGBX")
_ALPHA = ("LA", "PA", "RGBA", "RGBa", "La")
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


@contextmanager
def open_image(path: Path) -> Iterator[Image.Image]:
    """``Image.open`` with the size checked from the header (no pixel decoded yet)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise SceneError(
            f"{path}: image is far too large to be a scene ({exc}); downscale it first"
        ) from exc
    with img:
        width, height = img.size
        if width * height > MAX_SCENE_PIXELS:
            raise SceneError(
                f"{path}: image is {width}×{height} pixels, more than the {MAX_SCENE_PIXELS} "
                f"accepted for a scene (8192×8192); downscale it first"
            )
        yield img


def _composite_alpha(img: Image.Image, notes: list[str]) -> np.ndarray:
    """RGB uint8 of an image with alpha: opaque → alpha dropped; else over black."""
    try:
        rgba = np.asarray(img.convert("RGBA"))
    except ValueError as exc:
        raise SceneError(f"image mode {img.mode!r} cannot be converted ({exc})") from exc
    alpha = rgba[..., 3]
    if (alpha == 255).all():
        return rgba[..., :3]
    share = float(np.mean(alpha < 255))
    notes.append(
        f"{share:.1%} of the pixels are (partly) transparent: composited over black "
        "(a transparent pixel shows no light); flatten the image to decide yourself"
    )
    weight = alpha.astype(np.float64)[..., None] / 255.0
    return np.round(rgba[..., :3] * weight).astype(np.uint8)


def _sixteen_bit(img: Image.Image, notes: list[str]) -> np.ndarray:
    """Grey uint8 of a 16-bit (or 32-bit integer) grey image: round(v / 257)."""
    values = np.asarray(img)
    low, high = int(values.min(initial=0)), int(values.max(initial=0))
    if low < 0 or high > 65535:
        raise SceneError(
            f"{img.mode} image holds values {low}…{high}, outside 0…65535; "
            "export it as an 8- or 16-bit image"
        )
    if 0 < high <= 255:
        notes.append(
            f"all values are ≤ {high} in a 16-bit image, read as 16-bit (0…65535) so the scene "
            "is nearly black; if the data is 8-bit, save it as an 8-bit image"
        )
    return np.round(values.astype(np.float64) / 257.0).astype(np.uint8)


def _float(img: Image.Image) -> np.ndarray:
    """Grey uint8 of a 32-bit float image whose values must lie in [0, 1]."""
    values = np.asarray(img, dtype=np.float64)
    if not np.isfinite(values).all():
        raise SceneError("float image holds NaN or infinite values; export it as 8-bit")
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if low < 0.0 or high > 1.0:
        raise SceneError(
            f"float image holds values {low:g}…{high:g}; only 0…1 is accepted (no guessing of "
            "the range): rescale it, or export it as an 8-bit image"
        )
    return np.round(values * 255.0).astype(np.uint8)


def to_rgb8(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """(8-bit RGB image, notes on conventions applied) for any mode Pillow opens.

    EXIF orientation is applied (phones store portraits rotated); the first frame of an
    animation or multi-page file is used; 16-bit grey becomes round(v / 257); floats must be
    in [0, 1]; transparency is composited over black; CMYK is converted without colour
    management (noted). Other modes raise :class:`SceneError`. Embedded ICC profiles are not
    applied: pixel values are taken as sRGB.
    """
    from PIL import Image, ImageOps

    notes: list[str] = []
    frames = int(getattr(img, "n_frames", 1))
    if frames > 1:
        notes.append(f"has {frames} frames; the first one is used")
    img = ImageOps.exif_transpose(img) or img
    mode = img.mode
    if mode == "RGB":
        return img, notes
    if mode in _EIGHT_BIT_RGB:
        return img.convert("RGB"), notes
    if mode == "P":
        if "transparency" not in img.info:
            return img.convert("RGB"), notes
        return Image.fromarray(_composite_alpha(img, notes)), notes
    if mode in _ALPHA:
        return Image.fromarray(_composite_alpha(img, notes)), notes
    if mode == "CMYK":
        notes.append(
            "is CMYK: converted to RGB without colour management (colours are approximate); "
            "export it as sRGB"
        )
        return img.convert("RGB"), notes
    if mode in _SIXTEEN_BIT:
        grey = _sixteen_bit(img, notes)
    elif mode == "F":
        grey = _float(img)
    else:
        raise SceneError(f"image mode {mode!r} is not supported; export it as 8-bit RGB")
    return Image.fromarray(np.repeat(grey[..., None], 3, axis=2)), notes
