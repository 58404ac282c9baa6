"""Which decoder the live view uses, and the latest-wins decoder for the current masks.

:func:`choose_decoder` is the one place that decides: an LSI model the operator loaded (when it
was trained on these masks), else the demo model (when it is installed and matches), else the
exact linear reconstruction for Walsh–Hadamard sets, else none (the view says why).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from lsi_rig.core.errors import ModelError
from lsi_rig.decode.hadamard import HadamardDecoder
from lsi_rig.decode.live import LiveDecoder
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import VectorDecoder
from lsi_rig.recon import is_hadamard_set

log = logging.getLogger(__name__)

#: Live faces are decoded at most this often: an operator sees no more, and the two cores belong
#: to the capture and the event loop first (bench/gui_latency.py: with the demo model's
#: 15 ms decodes, p99 stall 40–43 ms at 10/s, 50–62 ms at 12/s on 2 cores).
LIVE_DECODE_HZ = 10.0


@dataclass(frozen=True)
class DecoderChoice:
    decoder: VectorDecoder | None
    reason: str  # why this one (or why none), for the reconstruction panel

    @property
    def tasks(self) -> frozenset[str]:
        return frozenset() if self.decoder is None else self.decoder.available_tasks


def _demo_decoder(mask_set: MaskSet) -> VectorDecoder | None:
    """The demo LSI model when these are its masks (``demo:lsi[:N]``), else None."""
    from lsi_rig.models.demo import available_demo_counts, load_demo_decoder

    if mask_set.n not in available_demo_counts() or mask_set.shape != (256, 256):
        return None
    decoder = load_demo_decoder(mask_set.n)
    return decoder if decoder.mask_sha256 == mask_set.sha256 else None


def choose_decoder(mask_set: MaskSet, official: VectorDecoder | None = None) -> DecoderChoice:
    """The decoder for vectors measured through ``mask_set`` (see module docstring)."""
    if official is not None:
        if (
            official.mask_sha256 in (None, mask_set.sha256)
            and official.n_measurements == mask_set.n
        ):
            return DecoderChoice(official, f"LSI model {official.name}")
        log.warning(
            "the loaded LSI model %s was trained on other masks than %s: not used",
            official.name,
            mask_set.name,
        )
    demo = _demo_decoder(mask_set)
    if demo is not None:
        return DecoderChoice(demo, f"demo model {demo.name}")
    if is_hadamard_set(mask_set) is not None:
        decoder = HadamardDecoder(mask_set)
        return DecoderChoice(decoder, decoder.name)
    why = f"no decoder for mask set {mask_set.name} ({mask_set.n} masks)"
    if official is not None:
        why += f": the loaded model {official.name} was trained on other masks"
    return DecoderChoice(None, why + "; load its LSI model (Model ▸ Load LSI model…)")


def _one_compute_thread() -> None:
    """Live decoding gets one core; the event loop and the capture keep the other. torch's
    intra-op pool would otherwise take every core for a 14 ms decode and stall the redraws
    (bench/gui_latency.py: p99 58 ms with all cores, within 50 ms with one)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


class DecodePipeline:
    """Owns the :class:`LiveDecoder` of the masks being looked at (live or in review)."""

    def __init__(self) -> None:
        self.official: VectorDecoder | None = None
        self.choice = DecoderChoice(None, "no masks loaded")
        self.live: LiveDecoder | None = None
        self._mask_sha256: str | None = None

    def use_masks(self, mask_set: MaskSet, *, force: bool = False) -> DecoderChoice:
        if not force and mask_set.sha256 == self._mask_sha256 and self.live is not None:
            return self.choice
        self.close()
        self._mask_sha256 = mask_set.sha256
        self.choice = choose_decoder(mask_set, self.official)
        if self.choice.decoder is not None:
            _one_compute_thread()
            self.live = LiveDecoder(self.choice.decoder, max_rate_hz=LIVE_DECODE_HZ)
        return self.choice

    def submit(self, vector: np.ndarray, key: Hashable) -> None:
        """Offer a vector (any thread); refused quietly while the decoder is being replaced."""
        live = self.live
        if live is None:
            return
        try:
            live.submit(vector, key)
        except ModelError as exc:  # closed under us (masks changed), or a wrong length
            log.debug("live decode refused %r: %s", key, exc)

    def close(self) -> None:
        if self.live is not None:
            self.live.close()
            self.live = None
        self._mask_sha256 = None
