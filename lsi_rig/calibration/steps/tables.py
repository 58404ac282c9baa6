"""PDA100A2 characteristics for a rig: its world's tables when simulated, else the datasheet."""

from __future__ import annotations

from lsi_rig.config.schema import RigConfig
from lsi_rig.detector.gain_check import DEFAULT_OUTPUT_MAX_V, bandwidth_table
from lsi_rig.detector.pda100a2 import PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A


def transimpedance_v_per_a(rig_config: RigConfig, gain_db: int) -> float:
    world = rig_config.world
    if world is None:
        return PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A[gain_db]
    pd = world.photodiode
    g = pd.transimpedance_v_per_a[gain_db]
    return g / 2 if pd.load == "50_ohm" else g


def output_max_v(rig_config: RigConfig) -> float:
    world = rig_config.world
    if world is None or world.ideal:
        return DEFAULT_OUTPUT_MAX_V if world is None else float("inf")
    pd = world.photodiode
    return pd.output_max_v / 2 if pd.load == "50_ohm" else pd.output_max_v


def bandwidth_hz(rig_config: RigConfig) -> dict[int, float]:
    return bandwidth_table(rig_config.world)
