"""Load scene images from files and folders, and check a batch before a capture starts.

A capture of hundreds of scenes must not die at scene 173 on a truncated JPEG, so
:func:`validate_scene_paths` opens and verifies every file first (cheap: no decoding of pixel
data beyond PIL's integrity check). Pixels become 8-bit RGB by the explicit rules of
:mod:`lsi_rig.scenes.pixels` (16-bit, float, alpha, CMYK, EXIF orientation), then are resized
to 256×256 with LANCZOS, as the official LSI simulation does, unless ``size=None``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import SceneError
from lsi_rig.core.naming import natural_key
from lsi_rig.scenes.pixels import MAX_SCENE_SIDE_PX, open_image, to_rgb8
from lsi_rig.scenes.scene import Scene

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".jfif", ".bmp", ".tif", ".tiff", ".webp", ".gif",
    ".pbm", ".pgm", ".ppm", ".pnm", ".tga",
)  # fmt: skip


def check_size(size: int | None) -> int | None:
    """The resize target: None (keep) or a side of 1…MAX_SCENE_SIDE_PX pixels."""
    if size is not None and not 1 <= size <= MAX_SCENE_SIDE_PX:
        raise SceneError(
            f"scene size must be 1…{MAX_SCENE_SIDE_PX} pixels (or keep the native size), got {size}"
        )
    return size


def iter_scene_paths(inputs: Sequence[str | Path]) -> Iterator[Path]:
    """Image files named by ``inputs``: files as given, folders expanded to their images
    (non-recursive, natural name order). Raises SceneError for missing paths, unsupported
    files and folders without images."""
    if not inputs:
        raise SceneError("no images given; pass image files or folders (--images)")
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            files = sorted(
                (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                key=lambda p: natural_key(p.name),
            )
            if not files:
                raise SceneError(
                    f"{path}: folder holds no images ({', '.join(IMAGE_SUFFIXES)}); "
                    "point at a folder of scene images"
                )
            yield from files
        elif path.is_file():
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise SceneError(
                    f"{path}: not a supported image type; use one of {', '.join(IMAGE_SUFFIXES)}"
                )
            yield path
        else:
            raise SceneError(f"{path}: not found; check the path to the scene image or folder")


def _check_unique(paths: Sequence[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in paths:
        if path.stem in seen:
            raise SceneError(
                f"scene id {path.stem!r} is used by both {seen[path.stem]} and {path}; "
                "rename one (scene ids are file stems and must be unique)"
            )
        seen[path.stem] = path


def _check_image(path: Path) -> None:
    """PIL ``verify()`` (catches truncated PNGs via chunk CRCs) plus, for formats whose verify
    is a no-op (JPEG, BMP, TIFF, …), a reduced-size decode that reaches the end of the data."""
    with open_image(path) as img:
        fmt = img.format
        img.verify()
    if fmt != "PNG":
        with open_image(path) as img:
            img.draft("RGB", (64, 64))  # JPEG decodes at 1/8 scale: cheap, still reads it all
            img.load()


def validate_scene_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Open and verify every image (and check ids are unique) so a batch fails before any
    capture starts. Returns the resolved image paths."""
    from PIL import Image, UnidentifiedImageError

    files = list(iter_scene_paths(paths))
    _check_unique(files)
    for path in files:
        try:
            _check_image(path)
        except SceneError:
            raise
        except (
            OSError,
            UnidentifiedImageError,
            SyntaxError,
            ValueError,
            EOFError,
            Image.DecompressionBombError,
        ) as exc:
            raise SceneError(
                f"{path}: image is corrupt or unreadable ({exc}); re-export or remove it"
            ) from exc
    return [p.resolve() for p in files]


def load_scene_file(path: str | Path, *, size: int | None = 256, warn: bool = True) -> Scene:
    """Decode one image to RGB uint8 (resized to ``size``×``size`` with LANCZOS if given).

    Conventions applied to unusual images (alpha, 16-bit, CMYK, …) are logged as warnings
    unless ``warn`` is False (a lazy source re-reads files it has already reported on).
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path).expanduser()
    check_size(size)
    try:
        with warnings.catch_warnings(record=True) as caught, open_image(path) as img:
            warnings.simplefilter("always")
            rgb, notes = to_rgb8(img)
            if size is not None and rgb.size != (size, size):
                rgb = rgb.resize((size, size), Image.Resampling.LANCZOS)
            pixels = np.asarray(rgb, dtype=np.uint8)
    except FileNotFoundError as exc:
        raise SceneError(f"{path}: not found; check the path to the scene image") from exc
    except SceneError as exc:
        text = str(exc)
        raise SceneError(text if text.startswith(str(path)) else f"{path}: {text}") from exc
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, EOFError) as exc:
        raise SceneError(f"{path}: cannot decode image ({exc}); re-export or remove it") from exc
    if warn:
        for note in [*notes, *(str(w.message) for w in caught)]:
            logger.warning("scene %s: %s", path, note)
    return Scene(path.stem, pixels, str(path.resolve()))


def load_scenes(inputs: Sequence[str | Path], *, size: int | None = 256) -> list[Scene]:
    """Scenes from image files and folders (see :func:`iter_scene_paths`), ids = file stems."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    check_size(size)
    files = list(iter_scene_paths(inputs))
    _check_unique(files)
    scenes = [load_scene_file(p, size=size) for p in files]
    logger.info("loaded %d scene(s) from %d input(s)", len(scenes), len(inputs))
    return scenes
