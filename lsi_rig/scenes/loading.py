"""Scene images from files: discovery, validation before capture, decoding.

A batch must fail *before* the first record if any image is missing or corrupt, so
:func:`validate_scene_paths` opens and verifies every file up front; decoding then happens one
image at a time. Images are converted to 8-bit RGB and, like the official LSI simulation,
resized to 256×256 (LANCZOS) unless asked otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from lsi_rig.errors import SceneError
from lsi_rig.scenes.scene import Scene

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_DECODE_ERRORS = (
    OSError,
    UnidentifiedImageError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
)


def natural_key(name: str) -> list[object]:
    """Sort key so that face_2 comes before face_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def iter_scene_paths(inputs: Sequence[str | Path]) -> Iterator[Path]:
    """Image files from files and folders (folders: their images in natural order)."""
    if not inputs:
        raise SceneError("no images given (pass image files or folders with --images)")
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise SceneError(f"image {path}: not found (check the path)")
        if path.is_dir():
            files = sorted(
                (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                key=lambda p: natural_key(p.name),
            )
            if not files:
                raise SceneError(
                    f"image folder {path}: no images ({', '.join(IMAGE_SUFFIXES)}) inside"
                )
            yield from files
        else:
            yield path


def validate_scene_paths(paths: Sequence[Path]) -> None:
    """Open and verify every image file; raise SceneError naming the first bad one."""
    for path in paths:
        try:
            with Image.open(path) as image:
                image.verify()
        except _DECODE_ERRORS as exc:
            raise SceneError(
                f"image {path}: cannot be read as an image ({exc}); replace or remove the file"
            ) from None


def load_scene_file(path: str | Path, *, size: int | None = 256) -> Scene:
    """Decode one image to uint8 RGB [size, size, 3] (or its own size when ``size`` is None)."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
            if size is not None and rgb.size != (size, size):
                rgb = rgb.resize((size, size), Image.Resampling.LANCZOS)
            pixels = np.asarray(rgb, dtype=np.uint8)
    except FileNotFoundError:
        raise SceneError(f"image {path}: not found (check the path)") from None
    except _DECODE_ERRORS as exc:
        raise SceneError(
            f"image {path}: cannot be decoded ({exc}); replace or remove the file"
        ) from None
    return Scene(path.stem, pixels, str(path))


def load_scenes(inputs: Sequence[str | Path], *, size: int | None = 256) -> list[Scene]:
    """Every image of ``inputs`` decoded (small sets; batches use a lazy scene source)."""
    paths = list(iter_scene_paths(inputs))
    validate_scene_paths(paths)
    scenes = [load_scene_file(p, size=size) for p in paths]
    seen: dict[str, str] = {}
    for scene in scenes:
        if scene.scene_id in seen:
            raise SceneError(
                f"scene id {scene.scene_id!r} is used by both {seen[scene.scene_id]} and "
                f"{scene.path}; rename one (scene ids are file stems)"
            )
        seen[scene.scene_id] = scene.path
    return scenes
