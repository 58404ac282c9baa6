"""``--rig emulated`` (real DLPC350 / NI-DAQmx / serial drivers against their protocol
emulators) agrees with ``--rig sim`` for the same world seed, within the noise model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsi_rig.config import load_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.jobs.capture import capture_session
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session

pytestmark = pytest.mark.timeout(300)


def _capture(config: RigConfig, path: Path) -> tuple[np.ndarray, np.ndarray]:
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=2)),
        masks=load_masks("demo:hadamard16:48"),
        repeats=2,
    )
    with build_rig(config) as rig:
        result = capture_session(config, plan, path, rig=rig)
        with open_session(path) as reader:
            samples = reader.vectors("samples").astype(np.float64)
        sigma = rig.world.predicted_noise_v(samples)
    assert result.status == "complete"
    assert result.summary.flag_counts == {}, result.summary.flag_counts
    return samples, sigma


def test_emulated_rig_matches_sim_within_noise(tmp_path: Path) -> None:
    emulated = load_rig("emulated")
    sim = load_rig("sim")
    # the video-port DMD runs 1/60 s / 24 = 694 µs patterns; give the sim DMD the same timing
    sim = sim.model_copy(
        update={"acquisition": sim.acquisition.model_copy(update={"exposure_us": 694.0})}
    )
    emu_samples, sigma = _capture(emulated, tmp_path / "emulated.h5")
    sim_samples, _ = _capture(sim, tmp_path / "sim.h5")
    assert emu_samples.shape == sim_samples.shape == (4, 48 + 2 * 3)
    assert np.ptp(sim_samples) > 100 * sigma.max()  # a real signal, not noise
    diff = np.abs(emu_samples - sim_samples)
    # two independent noisy readings differ by at most ~5 sqrt(2) sigma
    assert np.all(diff <= 5 * np.sqrt(2) * sigma + 1e-12), diff.max() / sigma.max()
    with open_session(tmp_path / "emulated.h5") as reader:
        devices = reader.devices
        # the session records the timing the DLPC350 really ran, not the 250 µs requested
        assert set(reader.sequence_table()["exposure_us"]) == {694.0}
        assert set(reader.records_table()["exposure_us"]) == {694.0}
    assert "DLPC350" in str(devices["dmd"]) and "nidaqmx" in str(devices["detector"]).lower()
