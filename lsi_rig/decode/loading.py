"""Choosing and loading a decoder: the official LSI files, or a model named by a spec.

Options are validated here, before torch or any file is touched, so ``--device bogus`` or
``--precision fp8`` is one clear line instead of a torch traceback after a minute of loading.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsi_rig.core.errors import ModelError
from lsi_rig.models.api import VectorDecoder

if TYPE_CHECKING:
    from lsi_rig.models.demo import DemoDecoder

IMPLS = ("fast", "reference")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DEVICE = re.compile(r"^(cpu|cuda(:\d{1,2})?)$")
DEMO_SPEC = "demo"


def check_options(*, device: str, impl: str, precision: str) -> None:
    """Refuse an unknown device, synthesis path or precision, naming the choices."""
    if not _DEVICE.match(device):
        raise ModelError(f"device {device!r} is not one of cpu, cuda, cuda:N")
    if impl not in IMPLS:
        raise ModelError(f"impl {impl!r} is not one of {', '.join(IMPLS)}")
    if precision not in PRECISIONS:
        raise ModelError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if impl == "reference" and precision not in ("auto", "fp32"):
        raise ModelError(f"precision {precision!r} needs impl 'fast'; 'reference' is fp32 only")


def check_device_available(device: str) -> None:
    """Refuse a CUDA device torch cannot see before minutes go into loading a model."""
    if not device.startswith("cuda"):
        return
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= count:
        raise ModelError(
            f"device {device!r} requested but torch sees {count} CUDA GPU(s); use 'cpu'"
            + (f" or cuda:0…cuda:{count - 1}" if count else "")
        )


def is_demo_spec(spec: str) -> bool:
    """``demo`` or ``demo:N`` (the built-in demo model, N measurements)."""
    return spec == DEMO_SPEC or spec.startswith(DEMO_SPEC + ":")


def load_demo(spec: str, *, device: str = "cpu") -> DemoDecoder:
    """The demo LSI model shipped in the package (``lsi_rig.models.demo``): ``demo`` (its
    default count) or ``demo:N``; it runs on the CPU in milliseconds."""
    if device != "cpu":
        raise ModelError(f"model {spec!r}: the demo model runs on the CPU only (use --device cpu)")
    count_text = spec.partition(":")[2]
    if count_text and not count_text.isdigit():
        raise ModelError(f"model {spec!r}: N in demo:N must be a whole number of measurements")
    from lsi_rig.models.demo import available_demo_counts, load_demo_decoder

    counts = available_demo_counts()
    count = int(count_text) if count_text else None
    if count is not None and count not in counts:
        raise ModelError(
            f"model {spec!r}: the demo model has {', '.join(map(str, counts))} measurements; "
            f"use one of demo:{', demo:'.join(map(str, counts))}"
        )
    return load_demo_decoder(count)


def load_decoder(
    spec: str | None = None,
    *,
    checkpoint: str | Path | None = None,
    generator: str | Path | None = None,
    device: str = "cpu",
    impl: str = "fast",
    precision: str = "auto",
) -> VectorDecoder:
    """A decoder by ``spec`` (``demo``, ``demo:N``) or from the official files.

    The official decoder needs ``checkpoint`` (an LSI ``.pt``) and ``generator``
    (``ffhq256.pkl`` or a ``lsi-rig models convert`` cache); both are validated before any
    vector is decoded (lsi_rig.models.decoder).
    """
    check_options(device=device, impl=impl, precision=precision)
    if spec is not None:
        if is_demo_spec(spec):
            return load_demo(spec, device=device)
        raise ModelError(f"unknown model {spec!r}; use 'demo', 'demo:N' or --checkpoint")
    if checkpoint is None or generator is None:
        raise ModelError("the official decoder needs both --checkpoint CKPT.pt and --generator")
    for what, path in (("checkpoint", Path(checkpoint)), ("generator", Path(generator))):
        if not path.exists():
            raise ModelError(f"{what} {path} does not exist; check the path")
    check_device_available(device)
    from lsi_rig.models.decoder import Decoder  # torch: only when a real model is loaded

    return Decoder.from_files(checkpoint, generator, device=device, impl=impl, precision=precision)
