"""What a batch stores beside its vectors (``/config/extra``), and reading it back.

The scene table already carries each image's content hash. A batch adds, one entry per scene in
display order: the manifest row (the order, so a resume continues it exactly), the split, the
manifest's label columns and the CelebA attributes. Keys and meanings are documented in
``docs/session-format.md`` ("Batch sessions").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lsi_rig.batch.celeba import AttributeTable
from lsi_rig.batch.manifest import ManifestEntry

BATCH_FORMAT_VERSION = 1

KEY_BATCH = "batch"  # json: settings and provenance
KEY_ROW = "batch_manifest_row"  # int64 [S]: manifest data row of each scene
KEY_SPLIT = "batch_split"  # json [S]: "train" | "test"
KEY_LABELS = "batch_labels"  # json {column: [S] strings}: the manifest's label columns
KEY_ATTR_NAMES = "celeba_attribute_names"  # json [N]
KEY_ATTRIBUTES = "celeba_attributes"  # int8 [S, N]: 1, -1; 0 = no label for this scene


@dataclass(frozen=True, eq=False)
class BatchInfo:
    """A batch session's ground truth and settings (None fields: not stored)."""

    settings: dict[str, Any]
    manifest_rows: np.ndarray | None
    splits: list[str] | None
    labels: dict[str, list[str]] = field(default_factory=dict)
    attribute_names: tuple[str, ...] = ()
    attributes: np.ndarray | None = None  # int8 [S, N]

    @property
    def order(self) -> str:
        return str(self.settings.get("order", "fixed"))

    @property
    def seed(self) -> int | None:
        seed = self.settings.get("seed")
        return None if seed is None else int(seed)


def batch_extra(
    entries: Sequence[ManifestEntry],
    settings: Mapping[str, Any],
    *,
    label_names: Sequence[str] = (),
    attributes: AttributeTable | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The ``SessionMetadata.extra`` entries of a batch whose scenes are ``entries`` (display
    order), and the ids the attribute file has no labels for."""
    extra: dict[str, Any] = {
        KEY_BATCH: {"format_version": BATCH_FORMAT_VERSION, **settings},
        KEY_ROW: np.array([e.row for e in entries], dtype=np.int64),
        KEY_SPLIT: [e.split for e in entries],
    }
    if label_names:
        extra[KEY_LABELS] = {n: [e.labels.get(n, "") for e in entries] for n in label_names}
    unlabelled: list[str] = []
    if attributes is not None:
        values, unlabelled = attributes.for_scenes([e.scene_id for e in entries])
        extra[KEY_ATTR_NAMES] = list(attributes.names)
        extra[KEY_ATTRIBUTES] = values
        extra[KEY_BATCH]["labels_unmatched"] = len(unlabelled)
    return extra, unlabelled


def batch_info(extra: Mapping[str, Any]) -> BatchInfo | None:
    """The batch entries of a session's ``reader.extra`` (None: not a batch session). Sessions
    made by ``lsi-rig import`` from an export carry splits and attributes the same way."""
    if KEY_BATCH not in extra and KEY_SPLIT not in extra:
        return None
    rows = extra.get(KEY_ROW)
    attributes = extra.get(KEY_ATTRIBUTES)
    return BatchInfo(
        settings=dict(extra.get(KEY_BATCH) or {}),
        manifest_rows=None if rows is None else np.asarray(rows, dtype=np.int64),
        splits=None if extra.get(KEY_SPLIT) is None else [str(s) for s in extra[KEY_SPLIT]],
        labels={str(k): [str(v) for v in vs] for k, vs in (extra.get(KEY_LABELS) or {}).items()},
        attribute_names=tuple(str(n) for n in extra.get(KEY_ATTR_NAMES) or ()),
        attributes=None if attributes is None else np.asarray(attributes, dtype=np.int8),
    )
