"""PSNR/SSIM of the decoded face against the scene, computed off the GUI thread.

A score takes several milliseconds of numpy (more while the capture and the decoder compete for
the interpreter), too long for a redraw tick. :class:`ScoreWorker` keeps one pending pair, like
the live decoder: the redraw submits the pair it just drew and shows the score when it is ready;
a newer pair replaces one not yet scored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable

import numpy as np

from lsi_rig.decode.quality import SceneScore, score_against_scene

log = logging.getLogger(__name__)


class ScoreWorker:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: tuple[Hashable, np.ndarray, np.ndarray] | None = None
        self._latest: tuple[Hashable, SceneScore] | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="scene scores", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, scene: np.ndarray, decoded: np.ndarray) -> None:
        with self._cond:
            if not self._closed:
                self._pending = (key, scene, decoded)
                self._cond.notify_all()

    def latest(self) -> tuple[Hashable, SceneScore] | None:
        with self._cond:
            return self._latest

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                assert self._pending is not None
                key, scene, decoded = self._pending
                self._pending = None
            try:
                score = score_against_scene(scene, decoded)
            except Exception:  # a score is informative only
                log.exception("scoring %r failed", key)
                continue
            with self._cond:
                self._latest = (key, score)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(2.0)
