"""Ground-truth JPEGs of an export, written from the scene files a session names.

The session keeps each image's path and the content hash of the pixels that were shown, not the
pixels themselves, so the images must still be readable at export time. Each one is decoded and
checked against its hash first: a missing, unreadable or since-modified image is reported and
its measurements are left out of the image layouts (a vector without its image would shift the
official loader's sorted pairing). A JPEG source is copied byte for byte (what the official code
would read from the dataset); any other format is converted to an RGB JPEG (quality 95).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsi_rig.core.errors import SceneError
from lsi_rig.scenes.scene import SceneInfo

JPEG_QUALITY = 95


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def image_problem(info: SceneInfo) -> str | None:
    """Why the scene's image cannot be exported (None: readable and unchanged)."""
    from lsi_rig.scenes.loading import load_scene_file

    if not info.path:
        return "no image file (a generated scene)"
    path = Path(info.path)
    if not path.is_file():
        return f"{path} not found"
    size = info.height if info.height == info.width and info.height > 0 else None
    try:
        scene = load_scene_file(path, size=size)
    except SceneError as exc:
        return str(exc)
    if info.sha256 and scene.sha256 != info.sha256:
        return f"{path} changed since the capture (content hash differs)"
    return None


def check_images(scenes: Sequence[SceneInfo], indices: Sequence[int]) -> dict[int, str]:
    """Problems of the images of ``indices`` (scene rows), in parallel."""
    with ThreadPoolExecutor(_workers(), thread_name_prefix="lsi-rig export check") as pool:
        problems = list(pool.map(lambda s: image_problem(scenes[s]), indices))
    return {s: p for s, p in zip(indices, problems, strict=True) if p is not None}


def _write(source: Path, destinations: Sequence[Path]) -> None:
    from PIL import Image

    with Image.open(source) as img:
        is_jpeg = img.format == "JPEG"
        if not is_jpeg:
            rgb = img.convert("RGB")
    first = destinations[0]
    if is_jpeg:
        shutil.copyfile(source, first)
    else:
        rgb.save(first, format="JPEG", quality=JPEG_QUALITY)
    for other in destinations[1:]:
        shutil.copyfile(first, other)


def write_images(scenes: Sequence[SceneInfo], destinations: Mapping[int, Sequence[Path]]) -> None:
    """Write scene ``s``'s image to every path of ``destinations[s]``."""
    jobs = [(Path(scenes[s].path), paths) for s, paths in destinations.items() if paths]
    with ThreadPoolExecutor(_workers(), thread_name_prefix="lsi-rig export images") as pool:
        for _ in pool.map(lambda job: _write(*job), jobs):
            pass
