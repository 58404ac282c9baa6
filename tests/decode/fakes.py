"""A fast deterministic VectorDecoder and real session files for the decode-service tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import ModelError
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import ALL_TASKS, DecodeResult
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import SessionMetadata, SessionWriter
from tests.storage.sample_data import RIG_YAML, make_record


class FakeDecoder:
    """Implements VectorDecoder: the "image" is the vector's sum, so a result names its input.

    ``delay_s`` makes each decode slow; ``fail`` decides per vector whether decode raises
    (``fail(values) -> BaseException | None``).
    """

    def __init__(
        self,
        n: int = 8,
        *,
        mask_sha256: str | None = None,
        delay_s: float = 0.0,
        fail: Callable[[np.ndarray], BaseException | None] | None = None,
        name: str = "fake.pt",
    ) -> None:
        self._n, self._sha, self._name = n, mask_sha256, name
        self.delay_s, self.fail = delay_s, fail
        self.calls: list[np.ndarray] = []
        self.threads: set[str] = set()

    @property
    def name(self) -> str:
        return self._name

    @property
    def n_measurements(self) -> int:
        return self._n

    @property
    def available_tasks(self) -> frozenset[str]:
        return frozenset({"image", "attributes"})

    @property
    def mask_sha256(self) -> str | None:
        return self._sha

    def resolve_tasks(self, tasks: Collection[str] | None) -> frozenset[str]:
        if tasks is None:
            return self.available_tasks
        wanted = frozenset(tasks)
        if wanted - ALL_TASKS or wanted - self.available_tasks:
            raise ModelError(f"fake decoder cannot do {sorted(wanted - self.available_tasks)}")
        return wanted

    def decode(self, vectors: np.ndarray, tasks: Collection[str] | None = None) -> DecodeResult:
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        if x.shape[1] != self._n:
            raise ModelError(f"fake decoder expects n={self._n}, got {x.shape}")
        self.threads.add(threading.current_thread().name)
        self.calls.append(x.copy())
        if self.fail is not None:
            error = self.fail(x[0])
            if error is not None:
                raise error
        if self.delay_s:
            time.sleep(self.delay_s)
        total = x.sum(axis=1)
        image = np.broadcast_to(
            (np.abs(total) % 256).astype(np.uint8)[:, None, None, None], (x.shape[0], 4, 4, 3)
        ).copy()
        probs = np.broadcast_to((1 / (1 + np.exp(-total)))[:, None], (x.shape[0], 40))
        zeros = np.zeros((x.shape[0], 18, 512), np.float32)
        return DecodeResult(
            l_cam=zeros, ws=zeros, image=image, attribute_probabilities=probs.astype(np.float32),
            timings_s={"total": self.delay_s},
        )  # fmt: skip


def write_session(
    path: Path,
    masks: MaskSet,
    *,
    n_records: int = 4,
    n_scenes: int = 2,
    reference_every: int | None = 4,
) -> Path:
    """A real session file captured (synthetically) through ``masks``."""
    sequence = PatternSequence.build(
        masks, exposure_us=250.0, period_us=300.0, reference_every=reference_every
    )
    scenes = [
        SceneInfo(f"face_{i:03d}", f"/data/face_{i:03d}.png", f"{i:064x}", 256, 256)
        for i in range(n_scenes)
    ]
    metadata = SessionMetadata(
        rig_name="test-rig", rig_config_yaml=RIG_YAML, devices={"dmd": {"backend": "sim"}},
        masks=masks, sequence=sequence, scenes=scenes, command="test",
    )  # fmt: skip
    with SessionWriter(path, metadata) as writer:
        for i in range(n_records):
            writer.append(make_record(i, metadata))
    return path


def random_masks(n: int = 8, side: int = 8, seed: int = 0) -> MaskSet:
    bits = np.random.default_rng(seed).random((n, side, side)) < 0.5
    return MaskSet(bits, name=f"random{n}", source="test")
