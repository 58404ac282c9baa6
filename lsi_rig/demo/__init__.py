"""``lsi-rig demo``: the main job on the embedded default, on any laptop (no hardware, no files).

By default it runs latent-space imaging end to end with the demo LSI model shipped in the
package (``demo:lsi``: faces, segmentation, landmarks and attributes from 32 numbers); a
Walsh–Hadamard set (``demo:hadamard32``) runs the classic single-pixel camera instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lsi_rig.core.errors import MaskError
from lsi_rig.demo.result import DemoResult
from lsi_rig.engine import Progress

DEFAULT_MASKS = "demo:lsi"

__all__ = ["DEFAULT_MASKS", "DemoResult", "run_demo"]


def run_demo(
    *,
    out_dir: Path | None = None,
    rig: str = "sim",
    masks: str = DEFAULT_MASKS,
    n_scenes: int = 8,
    on_progress: Callable[[Progress], None] | None = None,
) -> DemoResult:
    """Capture ``n_scenes`` demo scenes through ``masks`` on ``rig`` and write the session and
    its pictures under ``out_dir`` (default: the rig's sessions folder)."""
    from lsi_rig.config import load_rig
    from lsi_rig.core.paths import check_output_dir
    from lsi_rig.decode.model_masks import is_demo_lsi, load_masks
    from lsi_rig.recon import is_hadamard_set

    rig_config = load_rig(rig)
    folder = Path(out_dir) if out_dir is not None else Path(rig_config.paths.sessions_dir)
    check_output_dir(folder, what="demo --out-dir")
    mask_set = load_masks(masks)
    command = f"lsi-rig demo --rig {rig} --masks {masks} --scenes {n_scenes}"
    if is_demo_lsi(masks):
        from lsi_rig.decode.loading import load_demo
        from lsi_rig.demo.lsi import run_lsi_demo

        decoder = load_demo("demo" + masks.removeprefix("demo:lsi"))
        return run_lsi_demo(
            rig_config,
            mask_set,
            decoder,
            folder,
            n_scenes=n_scenes,
            command=command,
            on_progress=on_progress,
        )
    if is_hadamard_set(mask_set) is None:
        raise MaskError(
            f"demo --masks {masks}: the demo decodes the demo LSI model's masks (demo:lsi or "
            "demo:lsi:N) or reconstructs a Walsh–Hadamard set (demo:hadamard16|32|64); for "
            "other masks use lsi-rig capture and lsi-rig decode"
        )
    from lsi_rig.demo.hadamard import run_hadamard_demo

    return run_hadamard_demo(
        rig_config, mask_set, folder, n_scenes=n_scenes, command=command, on_progress=on_progress
    )
