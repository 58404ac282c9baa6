"""The configuration the physics actually uses: ``ideal: true`` switches every imperfection off.

Keeping this in one place means each physics module reads plain parameters and never asks
"am I ideal?"; an ideal world is just a world whose parameters happen to be perfect.
"""

from __future__ import annotations

import math

from lsi_rig.world.config import WorldConfig


def effective_config(config: WorldConfig) -> WorldConfig:
    """Return ``config`` unchanged, or with every imperfection and noise source off if ideal.

    Ideal means: gamma 1, no black level, equal colour weights, instant panel response, perfect
    registration (scale 1, no rotation/offset), no blur/vignetting/ambient/leak, a rectangular
    (non-diamond) mirror grid, no photodiode offset, infinite bandwidth (a bandwidth of ``inf``),
    no saturation (an infinite output limit), no noise, no quantisation and no injected faults.
    """
    if not config.ideal:
        return config
    pd = config.photodiode
    return config.model_copy(
        update={
            "monitor": config.monitor.model_copy(
                update={
                    "gamma": 1.0,
                    "black_level": 0.0,
                    "colour_weights": (1.0, 1.0, 1.0),
                    "response_time_s": 0.0,
                }
            ),
            "optics": config.optics.model_copy(
                update={
                    "scale": 1.0,
                    "rotation_deg": 0.0,
                    "offset_um": (0.0, 0.0),
                    "blur_sigma_um": 0.0,
                    "vignetting": 0.0,
                    "ambient_w": 0.0,
                    "off_state_leak": 0.0,
                    "diamond_geometry": False,
                }
            ),
            "photodiode": pd.model_copy(
                update={
                    "bandwidth_hz": {g: math.inf for g in pd.bandwidth_hz},
                    "noise_v_rms": {g: 0.0 for g in pd.noise_v_rms},
                    "output_max_v": math.inf,
                    "dark_offset_v": 0.0,
                }
            ),
            "daq": config.daq.model_copy(update={"input_noise_v_rms": 0.0}),
            "noise": config.noise.model_copy(
                update={"shot": False, "amplifier": False, "daq": False, "quantisation": False}
            ),
            "faults": config.faults.model_copy(
                update={"missing_edge_rate": 0.0, "extra_edge_rate": 0.0, "dropped_frame_rate": 0.0}
            ),
        }
    )
