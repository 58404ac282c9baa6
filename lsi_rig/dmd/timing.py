"""DLPC350 pattern-timing rules, shared by the simulated and the real DMD backends.

From TI's API/GUI (shared/reference/hardware.md §1.5): a 1-bit pattern is exposed at least
235 µs; the frame period either equals the exposure or exceeds it by at least 230 µs (the dark
gap the mirrors need to reset); exposures above 200 s are refused.
"""

from __future__ import annotations

from lsi_rig.core.errors import ConfigError

MIN_EXPOSURE_US_BY_BIT_DEPTH: dict[int, float] = {
    1: 235.0,
    2: 700.0,
    3: 1570.0,
    4: 1700.0,
    5: 2000.0,
    6: 2500.0,
    7: 4500.0,
    8: 8333.0,
}
MIN_DARK_GAP_US = 230.0
MAX_EXPOSURE_US = 200_000_000.0


def timing_problems(
    exposure_us: float,
    period_us: float,
    *,
    bit_depth: int = 1,
    min_exposure_us: float | None = None,
    min_dark_gap_us: float = MIN_DARK_GAP_US,
) -> list[str]:
    """Every rule the (exposure, period) pair breaks, as readable sentences (empty = valid)."""
    minimum = (
        MIN_EXPOSURE_US_BY_BIT_DEPTH[bit_depth] if min_exposure_us is None else min_exposure_us
    )
    problems = []
    if exposure_us < minimum:
        problems.append(
            f"exposure {exposure_us:g} µs is below the DLPC350 minimum of {minimum:g} µs "
            f"for {bit_depth}-bit patterns"
        )
    if exposure_us > MAX_EXPOSURE_US:
        problems.append(f"exposure {exposure_us:g} µs exceeds {MAX_EXPOSURE_US:g} µs")
    if period_us < exposure_us:
        problems.append(f"period {period_us:g} µs is shorter than the exposure {exposure_us:g} µs")
    elif 0 < period_us - exposure_us < min_dark_gap_us:
        problems.append(
            f"period − exposure = {period_us - exposure_us:g} µs; it must be 0 or at least "
            f"{min_dark_gap_us:g} µs"
        )
    return problems


def check_pattern_timing(exposure_us: float, period_us: float, *, bit_depth: int = 1) -> None:
    """Raise :class:`ConfigError` listing every broken rule."""
    problems = timing_problems(exposure_us, period_us, bit_depth=bit_depth)
    if problems:
        raise ConfigError("DMD pattern timing refused: " + "; ".join(problems))
