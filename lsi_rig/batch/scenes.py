"""The scene source of a batch: every image checked and hashed up front, then loaded ahead.

Before the first record every manifest image is decoded once (a few threads: PIL releases the
GIL) so a corrupt file stops the batch before it starts, and the scene table with its content
hashes goes into the session. During the capture each image is decoded again — and checked
against its hash — by a background thread while the previous scene is being measured, so a
1024×1024 CelebA-HQ JPEG costs the acquisition loop nothing (``bench/batch_overhead.py``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from lsi_rig.batch.manifest import ManifestEntry
from lsi_rig.core.errors import SceneError
from lsi_rig.scenes.scene import Scene, SceneInfo
from lsi_rig.scenes.source import LazyScenes, SceneSource

log = logging.getLogger(__name__)

CheckProgress = Callable[[int, int], None]


def _load_entry(entry: ManifestEntry, size: int | None) -> Scene:
    from lsi_rig.scenes.loading import load_scene_file

    try:
        scene = load_scene_file(entry.path, size=size)
    except SceneError as exc:
        raise SceneError(
            f"scene {entry.scene_id!r} (manifest row {entry.row + 1}): {exc}"
        ) from None
    return Scene(entry.scene_id, scene.image, scene.path)


def manifest_scene_source(
    entries: Sequence[ManifestEntry],
    *,
    size: int | None = 256,
    on_checked: CheckProgress | None = None,
    workers: int | None = None,
) -> LazyScenes:
    """Scenes of ``entries`` in that order (ids from the manifest, not the file names)."""
    if not entries:
        raise SceneError("the batch has no scenes (empty manifest or split list)")
    if size is not None and size < 1:
        raise SceneError(f"scene size must be a positive number of pixels, got {size}")
    threads = workers or max(1, min(4, os.cpu_count() or 1))
    infos: list[SceneInfo] = []
    pool = ThreadPoolExecutor(threads, thread_name_prefix="lsi-rig scene check")
    try:  # workers return only the (hashed) table row: no pixels pile up in memory
        for done, info in enumerate(pool.map(lambda e: _load_entry(e, size).info, entries), 1):
            infos.append(info)
            if on_checked is not None:
                on_checked(done, len(entries))
    finally:  # on an error, do not decode the rest of a 30,000-image manifest first
        pool.shutdown(wait=True, cancel_futures=True)
    by_id = {e.scene_id: e for e in entries}

    def load(info: SceneInfo) -> Scene:
        return _load_entry(by_id[info.scene_id], size)

    return LazyScenes(infos, load)


class PrefetchingScenes:
    """Wraps a scene source: loading scene ``i`` starts loading scenes ``i + 1 … i + ahead`` in
    worker threads, so a slow decode (a 1024×1024 JPEG resized with LANCZOS takes longer than
    one 85 ms scene on a busy PC) still finishes in time. Errors surface where the scene is
    asked for, as without prefetching. ``close()`` ends the workers (a batch job does it when
    the capture ends)."""

    def __init__(
        self, source: SceneSource, *, ahead: int = 2, workers: int = 2, first: int = 0
    ) -> None:
        self.source = source
        self.ahead = max(1, ahead)
        self._pool = ThreadPoolExecutor(
            max(1, workers), thread_name_prefix="lsi-rig scene prefetch"
        )
        self._pending: dict[int, Future[Scene]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._schedule(first - 1)  # the first scene loads while the DMD is being programmed

    @property
    def infos(self) -> Sequence[SceneInfo]:
        return self.source.infos

    def load(self, index: int) -> Scene:
        with self._lock:
            future = self._pending.pop(index, None)
            for stale in [i for i in self._pending if i < index]:
                self._pending.pop(stale).cancel()
        scene = future.result() if future is not None else self.source.load(index)
        self._schedule(index)
        return scene

    def _schedule(self, index: int) -> None:
        with self._lock:
            if self._closed:
                return
            for nxt in range(index + 1, min(index + 1 + self.ahead, len(self.infos))):
                if nxt not in self._pending:
                    self._pending[nxt] = self._pool.submit(self.source.load, nxt)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pending, self._pending = list(self._pending.values()), {}
        for future in pending:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
