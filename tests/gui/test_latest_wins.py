"""Live decoding is latest-wins: stale vectors are dropped, never queued (any LiveDecoder)."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection

import numpy as np
import pytest

from lsi_rig.decode.live import LiveDecoder
from lsi_rig.masks import load_masks
from lsi_rig.models.api import DecodeResult

from .conftest import FAST_MASKS

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]


class SlowDecoder:
    """A decoder that takes ``delay_s`` per call and remembers which vectors it saw."""

    def __init__(self, n: int, mask_sha256: str | None, delay_s: float = 0.05) -> None:
        self._n, self._sha = n, mask_sha256
        self.delay_s = delay_s
        self.seen: list[float] = []
        self.lock = threading.Lock()

    name = "slow test decoder"

    @property
    def n_measurements(self) -> int:
        return self._n

    @property
    def available_tasks(self) -> frozenset[str]:
        return frozenset({"image", "attributes", "segmentation", "landmarks"})

    @property
    def mask_sha256(self) -> str | None:
        return self._sha

    def resolve_tasks(self, tasks: Collection[str] | None) -> frozenset[str]:
        return self.available_tasks if tasks is None else frozenset(tasks)

    def decode(self, vectors: np.ndarray, tasks: Collection[str] | None = None) -> DecodeResult:
        time.sleep(self.delay_s)
        v = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        with self.lock:
            self.seen.append(float(v[0, 0]))
        b = v.shape[0]
        image = np.full((b, 256, 256, 3), 128, np.uint8)
        segmentation = np.zeros((b, 256, 256), np.uint8)
        segmentation[:, 64:192, 64:192] = 2  # a "face" square
        landmarks = np.tile(np.linspace(60, 196, 68, dtype=np.float32)[:, None], (b, 1, 2))
        return DecodeResult(
            l_cam=np.zeros((b, 18, 512), np.float32),
            ws=np.zeros((b, 18, 512), np.float32),
            image=image,
            attribute_probabilities=np.linspace(0, 1, 40, dtype=np.float32)[None].repeat(b, 0),
            segmentation=segmentation,
            landmarks_px=landmarks,
            timings_s={"decode": self.delay_s},
        )


def _wait(predicate, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_submissions_faster_than_decoding_drop_the_stale_ones() -> None:
    decoder = SlowDecoder(8, None, delay_s=0.05)
    live = LiveDecoder(decoder)
    try:
        for k in range(40):
            live.submit(np.full(8, float(k), np.float32), k)
            time.sleep(0.002)
        _wait(lambda: (latest := live.latest()) is not None and latest[0] == 39)
        key, result, latency_s = live.latest()  # type: ignore[misc]
        assert key == 39 and result.image is not None and latency_s > 0
        assert live.wait_idle(10)
        counts = live.counts
        assert counts.submitted == 40
        assert counts.dropped >= 30  # 40 submissions in ~0.1 s against 50 ms per decode
        assert counts.decoded + counts.dropped + counts.failed == counts.submitted
        with decoder.lock:
            seen = list(decoder.seen)
        assert seen == sorted(seen) and seen[-1] == 39.0  # never an older vector after a newer
        assert len(seen) == counts.decoded < 40
    finally:
        live.close()


def test_a_decode_never_waits_for_a_queue_of_old_vectors() -> None:
    decoder = SlowDecoder(4, None, delay_s=0.1)
    live = LiveDecoder(decoder)
    try:
        for k in range(100):
            live.submit(np.full(4, float(k), np.float32), k)
        start = time.monotonic()
        _wait(lambda: (latest := live.latest()) is not None and latest[0] == 99)
        assert time.monotonic() - start < 1.0  # at most the one in progress, then the newest
    finally:
        live.close()


def test_the_window_shows_the_newest_decoded_face_and_drops_stale_vectors(
    qtbot, make_window
) -> None:
    masks = load_masks(FAST_MASKS)
    window = make_window()
    slow = SlowDecoder(masks.n, masks.sha256, delay_s=0.15)
    window.decoding.official = slow  # as "Load LSI model…" does
    window.inputs.use_decoder(force=True)
    assert "slow test decoder" in window.recon_dock.decoder_label.text()
    assert window.recon_dock.attr_plot.isVisibleTo(window.recon_dock)
    window.session_dock.repeats.setValue(100)  # 300 records, far faster than 7 decodes/s
    window.flow.start()
    qtbot.waitUntil(lambda: window.capture.job is not None and window.capture.job.state.is_final,
                    timeout=60_000)  # fmt: skip
    last = window.capture.live.snapshot().index
    assert last == 299
    qtbot.waitUntil(
        lambda: (
            window.drawing._decoded_key is not None and window.drawing._decoded_key.index == last
        ),
        timeout=20_000,
    )
    live = window.decoding.live
    assert live is not None and live.wait_idle(10)
    counts = live.counts
    # every drawn vector was offered once, the newest always decoded, the stale ones dropped
    assert counts.submitted == window.drawing.drawn_records
    assert counts.dropped >= 1 and counts.decoded < counts.submitted
    assert counts.decoded + counts.dropped + counts.failed == counts.submitted
    with slow.lock:
        assert len(slow.seen) == counts.decoded
    qtbot.waitUntil(lambda: f"dropped {counts.dropped}" in window.recon_dock.metrics.text(),
                    timeout=5_000)  # fmt: skip
    # the extra heads are drawn: attribute bars, segmentation overlay, 68 landmarks
    assert len(window.recon_dock.attr_bars.opts["width"]) == 40
    assert window.recon_dock.overlay.image.shape == (256, 256, 4)
    assert window.recon_dock.landmarks.data.size == 68


def test_a_loaded_model_brings_its_own_masks(qtbot, make_window, tmp_path) -> None:
    bits = np.random.default_rng(4).random((48, 16, 16)) < 0.5
    spec = tmp_path / "lsi_masks.npy"
    np.save(spec, bits.astype(np.uint8))
    trained_on = load_masks(str(spec))
    window = make_window(connect=False)
    assert window.inputs.mask_set.sha256 != trained_on.sha256
    model = SlowDecoder(trained_on.n, trained_on.sha256, delay_s=0.0)
    window.inputs._model_done(model, "", str(spec))  # what "Load LSI model…" ends with
    assert window.inputs.mask_set.sha256 == trained_on.sha256
    assert window.decoding.choice.decoder is model
    assert "LSI model slow test decoder" in window.recon_dock.decoder_label.text()
    # a model for other masks is not used on these: the panel says why
    other = SlowDecoder(64, "0" * 64, delay_s=0.0)
    window.inputs._model_done(other, "", str(tmp_path / "missing.pt"))
    assert window.errors.shown and "not found" in window.errors.shown[-1]
    assert window.decoding.choice.decoder is None
    assert "trained on other masks" in window.recon_dock.decoder_label.text()
