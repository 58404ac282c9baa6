"""The simulated physical world shared by every simulated and emulated device.

One :class:`World` owns the scene on the monitor, the optics from the monitor to the DMD, the DMD
sequencer with its trigger outputs, and the PDA100A2 + DAQ physics. Devices never talk to each
other; they read the world at the shared :class:`~lsi_rig.core.clock.SimClock` time, so a scene
shown by the display changes what the detector and the DAQ double measure. Physics and units are in
docs/simulation.md.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal

import numpy as np

from lsi_rig.core.clock import SimClock
from lsi_rig.core.errors import ConfigError, DeviceError, MaskError
from lsi_rig.world import patterns as pattern_sets
from lsi_rig.world.config import WorldConfig
from lsi_rig.world.effective import effective_config
from lsi_rig.world.geometry import MaskGeometry, MirrorArea, mask_geometry, masks_to_mirrors
from lsi_rig.world.monitor import Monitor, ShownScene
from lsi_rig.world.optics import Optics
from lsi_rig.world.patterns import LoadedPatterns, block_sums
from lsi_rig.world.photodiode import Photodiode
from lsi_rig.world.records import SampledPass
from lsi_rig.world.sequencer import (
    PassFaults,
    Run,
    TriggerEdges,
    edges_between,
    rising_count_between,
)
from lsi_rig.world.timeline import Timeline

log = logging.getLogger(__name__)

#: The official LSI image grid: the unit of :meth:`World.ideal_scale_v`.
LSI_IMAGE_SHAPE = (256, 256)
#: Separates the keyed noise streams from the fault streams drawn from the same seed.
_NOISE_DOMAIN = 0x4E015E


class World:
    """See the module docstring; the API is documented in docs/simulation.md."""

    def __init__(self, config: WorldConfig, *, clock: SimClock | None = None) -> None:
        self.config = config
        self.physics = effective_config(config)
        self.clock = clock if clock is not None else SimClock()
        self.rng = np.random.default_rng(config.seed)
        self._lock = threading.RLock()
        self.monitor = Monitor(self.physics.monitor)
        self.optics = Optics(self.physics.optics, self.physics.dmd)
        self.photodiode = Photodiode(self.physics)
        self._patterns: LoadedPatterns | None = None
        self._timing: tuple[float, float, float] | None = None
        self._frame_period_s: float | None = None
        self._patterns_per_frame = self.physics.dmd.patterns_per_frame
        self._runs: list[Run] = []
        self._set_counter = 0
        self._power_cache: OrderedDict[tuple[str, MirrorArea], tuple[np.ndarray, float]] = (
            OrderedDict()
        )
        self._on_cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self.timeline = Timeline(self)

    # --- detector knobs ----------------------------------------------------------------------
    def set_detector(self, *, gain_db: int, range_v: float) -> None:
        """The PDA100A2 gain knob and the DAQ input range (±range_v); unknown gains raise."""
        with self._lock:
            self.photodiode.set(gain_db=gain_db, range_v=range_v)

    @property
    def detector_bandwidth_hz(self) -> float:
        """-3 dB bandwidth at the current gain (inf in an ideal world)."""
        return self.photodiode.bandwidth_hz

    # --- monitor ---------------------------------------------------------------------------
    def show_scene(self, image: np.ndarray) -> float:
        """Put a uint8 [H, W, 3] image on the monitor now; returns the change time."""
        with self._lock:
            now = self.clock.now_s()
            self.monitor.show(image, now)
            return now

    @property
    def scene(self) -> ShownScene | None:
        return self.monitor.history[-1] if self.monitor.history else None

    # --- DMD geometry ----------------------------------------------------------------------
    def mask_geometry(self, mask_shape: tuple[int, int]) -> MaskGeometry:
        return mask_geometry(self.physics.dmd, mask_shape)

    def masks_to_mirrors(self, bits: np.ndarray) -> np.ndarray:
        """bool [P, H, W] -> bool [P, 1140, 912] placed by :meth:`mask_geometry`."""
        bits = np.asarray(bits, dtype=bool)
        return masks_to_mirrors(bits, self.mask_geometry(bits.shape[-2:]), self.physics.dmd)

    # --- DMD sequencer -----------------------------------------------------------------------
    def load_patterns(
        self,
        patterns: np.ndarray,
        *,
        level: Literal["mask", "mirror"],
        exposure_us: float,
        period_us: float,
        sequence_period_us: float | None = None,
        mask_shape: tuple[int, int] | None = None,
        frame_period_us: float | None = None,
        patterns_per_frame: int | None = None,
    ) -> None:
        """Load a pattern set (stops a running sequence, as the DLPC350 requires).

        ``frame_period_us``: video-port pattern mode — the first pattern of every frame of
        ``patterns_per_frame`` patterns waits for the next VSYNC, so pattern i starts at
        (i // ppf)·frame_period + (i % ppf)·period. None: patterns back to back.
        ``patterns_per_frame``: patterns the controller takes from each video frame (the
        DLPC350 fits fewer, longer patterns to a frame for short sequences: 4 patterns of
        4166 µs at 60 Hz); None: ``dmd.patterns_per_frame``. It is also how far a dropped
        frame shifts the later patterns.

        ``level="mask"``: bool [P, H, W] placed by :meth:`mask_geometry`. ``level="mirror"``:
        bool [P, 1140, 912] mirror states (or packed uint8 [P, 1140, 114]); the scene is
        registered to the lit area of the set (or to ``mask_shape``'s area when given).
        """
        dmd = self.physics.dmd
        if not 0 < exposure_us <= period_us:
            raise DeviceError(
                f"simulated DMD: need 0 < exposure_us ({exposure_us}) <= period_us ({period_us})"
            )
        with self._lock:
            if self.sequence_running:
                log.info("load_patterns: stopping the running sequence first")
                self.stop_sequence()
            self._set_counter += 1
            if level == "mask":
                bits = np.asarray(patterns)
                if bits.ndim != 3:
                    raise MaskError(f"mask-level patterns must be [P, H, W], got {bits.shape}")
                geometry = self.mask_geometry((bits.shape[1], bits.shape[2]))
                loaded = pattern_sets.from_mask_bits(self._set_counter, bits, geometry)
            elif level == "mirror":
                default = MirrorArea.of(self.mask_geometry(mask_shape or (256, 256)))
                loaded = pattern_sets.from_mirror_states(
                    self._set_counter,
                    patterns,
                    rows=dmd.rows,
                    columns=dmd.columns,
                    default_area=default,
                    area=default if mask_shape is not None else None,
                    candidates=self._standard_geometries(),
                )
            else:
                raise ValueError(f"level must be 'mask' or 'mirror', got {level!r}")
            ppf = dmd.patterns_per_frame if patterns_per_frame is None else int(patterns_per_frame)
            if not 1 <= ppf <= 24:
                raise DeviceError(f"simulated DMD: {ppf} patterns per frame is outside 1-24")
            if frame_period_us is not None:
                if frame_period_us < ppf * period_us * (1 - 1e-12):
                    raise DeviceError(
                        f"simulated DMD: frame period {frame_period_us} µs is shorter than "
                        f"{ppf} patterns x {period_us} µs"
                    )
                last_start_us = ((loaded.n - 1) // ppf) * frame_period_us + (
                    (loaded.n - 1) % ppf
                ) * period_us
            else:
                last_start_us = (loaded.n - 1) * period_us
            busy_us = last_start_us + period_us
            seq_us = busy_us if sequence_period_us is None else sequence_period_us
            if seq_us < busy_us * (1 - 1e-12):
                raise DeviceError(
                    f"simulated DMD: sequence period {seq_us} µs is shorter than the "
                    f"{busy_us:g} µs its {loaded.n} patterns take"
                )
            self._patterns = loaded
            self._timing = (exposure_us * 1e-6, period_us * 1e-6, seq_us * 1e-6)
            self._frame_period_s = None if frame_period_us is None else frame_period_us * 1e-6
            self._patterns_per_frame = ppf

    def _standard_geometries(self) -> list[MaskGeometry]:
        """Geometries of the usual square mask sizes that fit the array (registration guesses)."""
        out = []
        for n in (512, 256, 128, 64, 32, 16, 8, 4):
            try:
                out.append(self.mask_geometry((n, n)))
            except ConfigError:
                continue
        return out

    @property
    def timing_s(self) -> tuple[float, float, float] | None:
        """(exposure, period, sequence period) of the loaded set, seconds."""
        return self._timing

    @property
    def patterns(self) -> LoadedPatterns | None:
        return self._patterns

    def start_sequence(self) -> float:
        """Run the loaded sequence repeatedly from now; returns the first pass's start time."""
        with self._lock:
            if self._patterns is None or self._timing is None:
                raise DeviceError("simulated DMD: start requested but no sequence is loaded")
            if self.sequence_running:
                return self._runs[-1].t_start_s
            exposure, period, seq = self._timing
            dmd = self.physics.dmd
            min_low = dmd.trig_out_1_min_low_us * 1e-6
            high = exposure if period - exposure >= min_low else max(period - min_low, exposure / 2)
            run = Run(
                index=len(self._runs),
                t_start_s=self.clock.now_s(),
                n_patterns=self._patterns.n,
                exposure_s=exposure,
                period_s=period,
                sequence_period_s=seq,
                trig_high_s=min(high, exposure),
                patterns_per_frame=self._patterns_per_frame,
                frame_period_s=self._frame_period_s,
                seed=self.config.seed,
                faults=self.physics.faults,
            )
            self._runs.append(run)
            self.timeline.run_patterns[run.index] = self._patterns
            return run.t_start_s

    def stop_sequence(self, *, at_s: float | None = None) -> None:
        """Stop the running sequence now, or at a later world time ``at_s`` (a fault that
        will happen: the DMD shows patterns, and emits edges, until then)."""
        with self._lock:
            if self.sequence_running:
                run = self._runs[-1]
                now = self.clock.now_s()
                t_stop = now if at_s is None else max(now, float(at_s))
                self._runs[-1] = dataclasses.replace(run, t_stop_s=min(run.t_stop_s, t_stop))

    @property
    def sequence_running(self) -> bool:
        """A run has started and not stopped by now (a stop scheduled later still runs)."""
        return bool(self._runs) and self._runs[-1].t_stop_s > self.clock.now_s()

    @property
    def current_run(self) -> Run | None:
        return self._runs[-1] if self._runs else None

    def next_sequence_start_s(self, after_s: float) -> float | None:
        """First pass start at or after ``after_s`` of the running sequence (None: stopped)."""
        with self._lock:
            if not self.sequence_running:
                return None
            run = self._runs[-1]
            k = max(0, math.ceil((after_s - run.t_start_s) / run.sequence_period_s - 1e-9))
            start = run.pass_start(k)
            return start if start < run.t_stop_s else None

    def trigger_edges(self, t0_s: float, t1_s: float) -> TriggerEdges:
        """TRIG_OUT_1 rising/falling and TRIG_OUT_2 rising edges in [t0, t1), faults included."""
        with self._lock:
            return edges_between(list(self._runs), t0_s, t1_s)

    def trigger_edge_count(self, t0_s: float, t1_s: float) -> int:
        """Number of TRIG_OUT_1 rising edges in [t0, t1) (cheap for long intervals)."""
        with self._lock:
            return rising_count_between(list(self._runs), t0_s, t1_s)

    def pass_faults(self, t_start_s: float) -> PassFaults | None:
        """Injected faults of the pass starting at ``t_start_s`` (None: no such pass)."""
        with self._lock:
            found = self.timeline.find_pass(t_start_s)
            return None if found is None else found[0].faults_for(found[1])

    # --- scene -> detector -------------------------------------------------------------------
    def mirror_power_w(self, scene: ShownScene, area: MirrorArea) -> tuple[np.ndarray, float]:
        """Per-mirror power map [rows, cols] (W) of a scene and its total (cached)."""
        with self._lock:
            return self._mirror_power_w(scene, area)

    def _mirror_power_w(self, scene: ShownScene, area: MirrorArea) -> tuple[np.ndarray, float]:
        key = (scene.key, area)
        hit = self._power_cache.get(key)
        if hit is None:
            radiance = self.monitor.panchromatic(scene.image)
            power = self.optics.power_w(radiance, self.monitor.white_level, area)
            hit = (power, float(power.sum()))
            self._power_cache[key] = hit
            while len(self._power_cache) > 4:
                self._power_cache.popitem(last=False)
        else:
            self._power_cache.move_to_end(key)
        return hit

    def on_power_w(self, scene: ShownScene, loaded: LoadedPatterns) -> np.ndarray:
        """float64 [P]: power from the 'on' mirrors of each pattern for a scene (cached)."""
        with self._lock:
            return self._on_power_w(scene, loaded)

    def _on_power_w(self, scene: ShownScene, loaded: LoadedPatterns) -> np.ndarray:
        key = (scene.key, loaded.set_id)
        hit = self._on_cache.get(key)
        if hit is None:
            hit = loaded.on_power_w(self.mirror_power_w(scene, loaded.area)[0])
            hit.setflags(write=False)
            self._on_cache[key] = hit
            while len(self._on_cache) > 16:
                self._on_cache.popitem(last=False)
        else:
            self._on_cache.move_to_end(key)
        return hit

    def expected_pattern_volts(self, t_start_s: float | None = None) -> np.ndarray:
        """Noiseless settled output per pattern of the loaded sequence (display order, no
        faults, no clipping): for the pass starting at ``t_start_s`` (monitor blend included),
        or for the scene on screen once settled."""
        with self._lock:
            if self._patterns is None:
                raise DeviceError("simulated DMD: no sequence is loaded")
            return self.timeline.pattern_volts(self._patterns, t_start_s)

    def detector_view(self, mask_shape: tuple[int, int]) -> np.ndarray:
        """float64 [H, W]: volts each mask pixel sends to the detector when on (scene settled,
        offset, ambient and leak excluded)."""
        with self._lock:
            geometry = self.mask_geometry(mask_shape)
            scene = self.scene
            if scene is None:
                return np.zeros(geometry.mask_shape)
            power, _ = self.mirror_power_w(scene, MirrorArea.of(geometry))
            leak = self.physics.optics.off_state_leak
            pd = self.photodiode
            gain = pd.pd.responsivity_a_per_w * pd.transimpedance_v_per_a
            return block_sums(power, geometry) * (1 - leak) * gain

    def ideal_scale_v(self, mask_shape: tuple[int, int]) -> float:
        """Volts per unit of the official LSI measurement ``Σ_c mask · image01_c`` in an ideal
        world at the current gain: ``white_power · R · G / (3·256²)``.

        The unit is one 256×256-grid image pixel (the LSI image resolution), whatever the mask
        shape: an H×W mask is upsampled onto that grid (a 32² mask pixel covers 8×8 image
        pixels), so ``V / ideal_scale_v`` is the LSI simulation of the upsampled mask. The
        argument is kept so callers state which masks they mean; it does not change the value.
        """
        if len(mask_shape) != 2 or min(mask_shape) < 1:
            raise MaskError(f"mask shape {mask_shape} is not a valid (H, W)")
        h, w = LSI_IMAGE_SHAPE
        pd = self.photodiode
        white_v = self.physics.optics.white_power_w * pd.pd.responsivity_a_per_w
        return white_v * pd.transimpedance_v_per_a / (3 * h * w)

    # --- photodiode + DAQ ------------------------------------------------------------------
    def noise_rng(self, noise_key: tuple[int, ...] | None) -> np.random.Generator:
        """The noise stream of one measurement: keyed by (seed, key) so that a measurement's
        noise does not depend on what was measured before it (a resumed capture reproduces an
        uninterrupted one); ``None`` (probe passes, readers without a key) continues the world's
        sequential stream."""
        if noise_key is None:
            return self.rng
        if any(k < 0 for k in noise_key):
            raise ValueError(f"noise key {noise_key} must be non-negative")
        return np.random.default_rng([self.config.seed, _NOISE_DOMAIN, *noise_key])

    def sample_per_pattern(
        self,
        t_start_s: float,
        n_patterns: int | None = None,
        *,
        noise_key: tuple[int, ...] | None = None,
    ) -> SampledPass:
        """One sample per TRIG_OUT_1 falling edge from the pass starting at ``t_start_s``; the
        clock is not advanced. ``noise_key``: see :meth:`noise_rng`."""
        with self._lock:
            rng = self.noise_rng(noise_key)
            return self.timeline.sample_per_pattern(t_start_s, n_patterns, rng)

    def sample_trace(
        self,
        t_start_s: float,
        duration_s: float,
        rate_hz: float,
        channels: Sequence[str] = ("photodiode", "trig_out_1"),
        *,
        noise_key: tuple[int, ...] | None = None,
    ) -> np.ndarray:
        """[C, S] volts sampled at ``rate_hz`` from ``t_start_s``; channels ``photodiode``,
        ``trig_out_1``, ``trig_out_2`` (logic 0 / 3.3 V). ``noise_key``: see :meth:`noise_rng`."""
        with self._lock:
            rng = self.noise_rng(noise_key)
            return self.timeline.sample_trace(t_start_s, duration_s, rate_hz, tuple(channels), rng)

    def scene_settled(self, t0_s: float, t1_s: float) -> bool:
        """Whether the monitor showed only its current scene throughout [t0, t1]."""
        with self._lock:
            return self.monitor.settled_at(np.array([t0_s, t1_s]))

    def predicted_noise_v(
        self,
        volts: np.ndarray,
        *,
        mode: str = "per_pattern",
        window_samples: int = 1,
        rate_hz: float | None = None,
    ) -> np.ndarray:
        """Noise std of one per-pattern sample, or of a window mean of ``window_samples``
        samples taken at ``rate_hz`` (``mode="oversampled"``; correlation of the band-limited
        noise included when the rate is given)."""
        if mode not in ("per_pattern", "oversampled"):
            raise ValueError(f"mode must be 'per_pattern' or 'oversampled', got {mode!r}")
        n = 1 if mode == "per_pattern" else window_samples
        dt = None if rate_hz is None or mode == "per_pattern" else 1.0 / rate_hz
        return self.photodiode.predicted_std(np.asarray(volts, dtype=np.float64), n, dt)
