"""A small ``torch`` Dataset over an export, for fine-tuning code of one's own.

It reads what the official loaders read — the ``latent-imaging`` layout's ``.npz`` files and
ground-truth JPEGs — or the single ``vectors.npz`` of an ``npz`` export (no images), and adds
the labels from the export manifest. Items are dicts: ``vector`` float32 ``[n]``, ``image``
float32 ``[3, H, W]`` in [0, 1] (latent-imaging only), ``attributes`` float32 ``[N]`` with 1 / -1
(0 = unknown; empty when the export has no labels), ``stem``, ``split``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from lsi_rig.core.errors import SessionError
from lsi_rig.export.export import MANIFEST_NAME
from lsi_rig.export.options import ExportFormat
from lsi_rig.export.writers import NPZ_KEY, LatentImagingLayout


def read_manifest(root: str | Path) -> dict[str, Any]:
    path = Path(root).expanduser() / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessionError(f"{root}: no {MANIFEST_NAME}; is this an lsi-rig export?") from None
    except (OSError, ValueError) as exc:
        raise SessionError(f"{path}: unreadable export manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != "lsi-rig export":
        raise SessionError(f"{path}: not an lsi-rig export manifest")
    return data


class ExportDataset(Dataset[dict[str, Any]]):
    """Items of an export (``split``: "train", "test" or None for all), in manifest order."""

    def __init__(
        self, root: str | Path, split: str | None = None, *, image_size: int | None = 256
    ) -> None:
        self.root = Path(root).expanduser()
        self.manifest = read_manifest(self.root)
        self.layout = ExportFormat(self.manifest["layout"])
        if self.layout is ExportFormat.CSV:
            raise SessionError(f"{self.root}: a csv export; use the latent-imaging or npz format")
        if split not in (None, "train", "test"):
            raise ValueError(f"split {split!r}: use 'train', 'test' or None")
        self.split = split
        self.image_size = image_size
        self.n = int(self.manifest["n"])
        self.items = [i for i in self.manifest["items"] if split is None or i["split"] == split]
        self._paths = LatentImagingLayout(self.root, self.n)
        self._vectors: dict[str, np.ndarray] = {}
        if self.layout is ExportFormat.NPZ:
            with np.load(self.root / "vectors.npz", allow_pickle=False) as data:
                self._vectors = dict(zip(data["stems"].tolist(), data["vectors"], strict=True))

    def __len__(self) -> int:
        return len(self.items)

    def _vector(self, item: dict[str, Any]) -> np.ndarray:
        if self.layout is ExportFormat.NPZ:
            return self._vectors[item["stem"]]
        path = self._paths.split_dir(item["split"]) / f"{item['stem']}.npz"
        with np.load(path, allow_pickle=False) as data:
            return np.asarray(data[NPZ_KEY], dtype=np.float32)

    def _image(self, item: dict[str, Any]) -> torch.Tensor:
        from PIL import Image

        path = self._paths.gt_dir(item["split"]) / f"{item['stem']}.jpg"
        with Image.open(path) as img:
            rgb = img.convert("RGB")
            if self.image_size is not None and rgb.size != (self.image_size,) * 2:
                rgb = rgb.resize((self.image_size,) * 2, Image.Resampling.LANCZOS)
            pixels = np.asarray(rgb, dtype=np.uint8)
        return torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255.0

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.items[index]
        out: dict[str, Any] = {
            "vector": torch.from_numpy(np.array(self._vector(item), dtype=np.float32)),
            "attributes": torch.tensor(item.get("attributes", []), dtype=torch.float32),
            "stem": item["stem"],
            "split": item["split"],
        }
        if self.layout is ExportFormat.LATENT_IMAGING:
            out["image"] = self._image(item)
        return out
