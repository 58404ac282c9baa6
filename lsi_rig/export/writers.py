"""The three export formats (``docs/export.md``).

``latent-imaging``: the folders the official LSI code reads, one ``.npz`` (key ``array``,
float32 ``(n,)``) per vector::

    datasets/real/<n>/<stem>.npz            every exported vector (inference notebook)
    datasets/images/<stem>.jpg              its ground truth
    datasets/list_attr_celeba.txt           labels of those stems, in sorted order (if known)
    DMD_DATA/FineTune/<n>/{Train,Test}/<stem>.npz     fine-tuning loader, by split
    DMD_DATA/DMD_{TRAINSET,TESTSET}/gt/<stem>.jpg

``npz``: ``vectors.npz`` (one array file, no pickles). ``csv``: ``vectors.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig.export.images import write_images
from lsi_rig.export.selection import ExportItem
from lsi_rig.scenes.scene import SceneInfo

NPZ_KEY = "array"
SPLIT_FOLDERS = {"train": ("Train", "DMD_TRAINSET"), "test": ("Test", "DMD_TESTSET")}
VALUE_FORMAT = ".9g"  # 9 significant digits round-trip every float32 exactly


class LatentImagingLayout:
    """Paths of the official layout under ``root`` for vectors of length ``n``."""

    def __init__(self, root: Path, n: int) -> None:
        self.root = root
        self.n = n
        self.real = root / "datasets" / "real" / str(n)
        self.images = root / "datasets" / "images"
        self.attributes = root / "datasets" / "list_attr_celeba.txt"
        self.finetune = root / "DMD_DATA" / "FineTune" / str(n)

    def split_dir(self, split: str) -> Path:
        return self.finetune / SPLIT_FOLDERS[split][0]

    def gt_dir(self, split: str) -> Path:
        return self.root / "DMD_DATA" / SPLIT_FOLDERS[split][1] / "gt"

    def folders(self) -> list[Path]:
        out = [self.real, self.images]
        for split in SPLIT_FOLDERS:
            out += [self.split_dir(split), self.gt_dir(split)]
        return out


def save_vector(path: Path, vector: np.ndarray) -> None:
    """One official measurement file: key ``array``, float32, shape ``(n,)``."""
    with path.open("wb") as handle:
        np.savez(handle, array=np.ascontiguousarray(vector, dtype=np.float32))  # NPZ_KEY


def write_latent_imaging(
    root: Path,
    items: Sequence[ExportItem],
    scenes: Sequence[SceneInfo],
    n: int,
    *,
    attribute_names: Sequence[str] = (),
    attributes: np.ndarray | None = None,
) -> LatentImagingLayout:
    """Write ``items`` (every one with a readable image) into the official layout.
    ``attributes[k]`` are the labels of ``items[k]`` (0 = unknown)."""
    layout = LatentImagingLayout(root, n)
    for folder in layout.folders():
        folder.mkdir(parents=True, exist_ok=True)
    destinations: dict[int, list[Path]] = {}
    for item in items:
        save_vector(layout.real / f"{item.stem}.npz", item.vector)
        save_vector(layout.split_dir(item.split) / f"{item.stem}.npz", item.vector)
        destinations.setdefault(item.scene_index, []).extend(
            [layout.images / f"{item.stem}.jpg", layout.gt_dir(item.split) / f"{item.stem}.jpg"]
        )
    write_images(scenes, destinations)
    if attributes is not None and attribute_names:
        write_attribute_file(layout.attributes, items, attribute_names, attributes)
    return layout


def write_attribute_file(
    path: Path, items: Sequence[ExportItem], names: Sequence[str], values: np.ndarray
) -> None:
    """``list_attr_celeba.txt`` format for the exported stems, in the sorted order of the
    ``.npz`` listing: the official ``load_attributes`` walks this file in its own order and
    stacks the matches, so the two orders must agree. Every item must have labels (±1)."""
    order = sorted(range(len(items)), key=lambda k: items[k].stem + ".npz")
    lines = [str(len(items)), " ".join(names)]
    for k in order:
        row = np.where(values[k] > 0, 1, -1)
        lines.append(f"{items[k].stem}.jpg " + " ".join(f"{int(v):2d}" for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_npz(
    path: Path,
    items: Sequence[ExportItem],
    n: int,
    *,
    attribute_names: Sequence[str] = (),
    attributes: np.ndarray | None = None,
) -> None:
    """All vectors in one file (strings as fixed-width unicode: loads with
    ``allow_pickle=False``)."""
    arrays: dict[str, np.ndarray] = {
        "vectors": np.stack([i.vector for i in items]).astype(np.float32)
        if items
        else np.zeros((0, n), np.float32),
        "stems": np.array([i.stem for i in items], dtype=str),
        "scene_ids": np.array([i.scene_id for i in items], dtype=str),
        "splits": np.array([i.split for i in items], dtype=str),
        "repeats": np.array([-1 if i.repeat is None else i.repeat for i in items], np.int32),
        "n_records": np.array([len(i.records) for i in items], np.int32),
    }
    if attributes is not None and attribute_names:
        arrays["attributes"] = np.asarray(attributes, dtype=np.int8)
        arrays["attribute_names"] = np.array(list(attribute_names), dtype=str)
    savez: Any = np.savez  # numpy's stubs type **kwds as the allow_pickle flag
    with path.open("wb") as handle:
        savez(handle, **arrays)


def write_csv(
    path: Path,
    items: Sequence[ExportItem],
    n: int,
    *,
    attribute_names: Sequence[str] = (),
    attributes: np.ndarray | None = None,
) -> None:
    """One row per vector: stem, scene_id, split, repeat ("mean" or the index), n_records,
    ``v0 … v{n-1}``, then the attribute columns (1, -1; 0 unknown) when known."""
    width = len(str(n - 1))
    header = ["stem", "scene_id", "split", "repeat", "n_records"]
    header += [f"v{i:0{width}d}" for i in range(n)]
    with_attributes = attributes is not None and bool(attribute_names)
    if with_attributes:
        header += list(attribute_names)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for k, item in enumerate(items):
            row = [item.stem, item.scene_id, item.split]
            row += ["mean" if item.repeat is None else str(item.repeat), str(len(item.records))]
            row += [format(float(v), VALUE_FORMAT) for v in item.vector]
            if with_attributes:
                assert attributes is not None
                row += [str(int(v)) for v in attributes[k]]
            writer.writerow(row)
