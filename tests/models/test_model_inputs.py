"""Damaged or hostile model files: NaN weights, lying caches, huge safetensors headers.

Each is refused with one ModelError naming the file and the tensor or key; the allocation cases
run in a memory-limited child.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
import torch

from lsi_rig.core.errors import ModelError
from lsi_rig.models.checkpoint import load_checkpoint
from lsi_rig.models.generator import convert_generator, load_generator
from lsi_rig.models.generator.cache import META_FILE, TENSORS_FILE
from tests.models.ckpt_writer import make_checkpoint
from tests.models.memlimit import run_cases
from tests.models.pkl_writer import write_generator_pickle

SMALL_CHANNELS = (16, 16, 12, 10, 8, 8)


@pytest.fixture(scope="module")
def base_ckpt() -> dict:
    return make_checkpoint(8, channels=SMALL_CHANNELS, seed=5)


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("latent_camera", "styles.3.linear.weight", float("nan")),
        ("latent_camera", "out.layers.0.fn.proj_out.bias", float("inf")),
        ("segmentation", None, float("nan")),
        ("cls", None, -float("inf")),
        ("mask", "weight", float("nan")),
        ("latent_avg", None, float("nan")),
    ],
)
def test_non_finite_weights_are_refused_naming_the_tensor(
    tmp_path: Path, base_ckpt: dict, where: str, key: str | None, value: float
) -> None:
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base_ckpt.items()}
    if where == "latent_avg":
        tensor = raw["latent_avg"].clone()
        tensor[17] = value
        raw["latent_avg"] = tensor
        name = "latent_avg"
    else:
        key = key or sorted(raw[where])[0]
        tensor = raw[where][key].clone()
        tensor.view(-1)[tensor.numel() // 2] = value
        tensor.view(-1)[0] = value
        raw[where][key] = tensor
        name = f"{where}.{key}"
    path = tmp_path / "bad.pt"
    torch.save(raw, path)
    with pytest.raises(ModelError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and f"tensor {name} has" in message and "NaN/Inf" in message
    expected = 1 if where == "latent_avg" else 2
    assert f"has {expected} NaN/Inf values" in message


def test_checkpoint_file_problems(tmp_path: Path, base_ckpt: dict) -> None:
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match=r"empty\.pt cannot be read: the file is empty"):
        load_checkpoint(empty)
    good = tmp_path / "good.pt"
    torch.save(base_ckpt, good)
    inflated = tmp_path / "inflated.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(inflated, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelError, match=r"inflated\.pt cannot be read: zip entry .* compressed"):
        load_checkpoint(inflated)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelError, match=r"truncated\.pt"):
        load_checkpoint(truncated)


# -- generator cache -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cache")
    pkl = folder / "tiny.pkl"
    write_generator_pickle(pkl, config="tiny", seed=2)
    return convert_generator(pkl, folder / "cache")


@pytest.fixture
def cache(cache_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(cache_template, tmp_path / "cache"))


def _edit_meta(cache: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    meta = json.loads((cache / META_FILE).read_text())
    meta = edit(meta)
    (cache / META_FILE).write_text(json.dumps(meta))
    return cache / META_FILE


def _set(path: list, value):  # type: ignore[no-untyped-def]
    def edit(meta):  # type: ignore[no-untyped-def]
        node = meta
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return meta

    return edit


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda meta: [meta], "holds a JSON list, not an object"),
        (lambda meta: "text", "holds a JSON str"),
        (_set(["format"], "lsi-rig/other/9"), "has format 'lsi-rig/other/9'"),
        (_set(["synthesis", "num_ws"], "18"), "synthesis.num_ws: Input should be a valid integer"),
        (_set(["synthesis", "layers"], KeyError), "synthesis.layers: Field required"),
        (_set(["synthesis", "input", "size"], [36]), "synthesis.input.size"),
        (_set(["tensors_sha256"], 5), "tensors_sha256: Input should be a valid string"),
        (_set(["tensors_sha256"], "abc"), "tensors_sha256 is not a SHA-256"),
        (_set(["tensors_file"], "../elsewhere.safetensors"), "is not a file name in"),
        (_set(["tensors_file"], "/dev/zero"), "is not a file name in"),
        (_set(["synthesis", "input", "size"], [10**6, 10**6]), "input.size = 1000000 is outside"),
        (_set(["synthesis", "layers", 0, "in_channels"], 10**9), "in_channels = 1000000000"),
        (_set(["synthesis", "layers", 1, "up_factor"], 10**4), "up_factor = 10000 is outside"),
        (_set(["synthesis", "w_dim"], 0), "w_dim = 0 is outside"),
        (_set(["synthesis", "output_scale"], 1e400), "output_scale"),
    ],
)
def test_cache_json_problems_are_one_line(cache: Path, edit, needle: str) -> None:  # type: ignore[no-untyped-def]
    meta_path = _edit_meta(cache, edit)
    with pytest.raises(ModelError) as info:
        load_generator(cache)
    message = str(info.value)
    assert needle in message, message
    assert "\n" not in message
    assert str(meta_path) in message or "generator attribute" in message


def test_cache_tensors_file_that_is_a_device_never_hangs(cache: Path) -> None:
    (cache / TENSORS_FILE).unlink()
    (cache / TENSORS_FILE).symlink_to("/dev/zero")
    with pytest.raises(ModelError, match="not a regular file"):
        load_generator(cache)


def _lying_safetensors(path: Path, header: bytes | dict) -> None:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 64)


def test_safetensors_headers_claiming_huge_tensors(cache_template: Path, tmp_path: Path) -> None:
    headers = {
        "huge_tensor": {"input.weight": {"dtype": "F32", "shape": [100_000, 100_000],
                                         "data_offsets": [0, 40_000_000_000]}},
        "offsets_mismatch": {"input.weight": {"dtype": "F32", "shape": [4, 4],
                                              "data_offsets": [0, 2**40]}},
        "header_length_lie": None,
    }  # fmt: skip
    cases = {}
    for name, header in headers.items():
        cache = Path(shutil.copytree(cache_template, tmp_path / name))
        tensors = cache / TENSORS_FILE
        if header is None:
            tensors.write_bytes(struct.pack("<Q", 2**60) + b"{}")
        else:
            _lying_safetensors(tensors, header)
        digest = hashlib.sha256(tensors.read_bytes()).hexdigest()
        _edit_meta(cache, _set(["tensors_sha256"], digest))
        cases[name] = f"load_generator({str(cache)!r})"
    results = run_cases(cases, setup="from lsi_rig.models.generator import load_generator")
    for name, result in results.items():
        assert result["type"] == "ModelError", (name, result)
        assert "cannot read" in result["message"] and TENSORS_FILE in result["message"]


def test_generator_with_nan_weights_is_refused(cache: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(cache / TENSORS_FILE))
    key = sorted(k for k in tensors if k.endswith(".weight"))[1]
    tensors[key].view(-1)[3] = float("nan")
    save_file(tensors, str(cache / TENSORS_FILE))
    digest = hashlib.sha256((cache / TENSORS_FILE).read_bytes()).hexdigest()
    _edit_meta(cache, _set(["tensors_sha256"], digest))
    with pytest.raises(ModelError, match=rf"generator tensor {key} has 1 NaN/Inf values"):
        load_generator(cache)


def test_failed_convert_leaves_no_folder(tmp_path: Path) -> None:
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match=r"junk\.pkl"):
        convert_generator(tmp_path / "junk.pkl", tmp_path / "new" / "cache")
    assert not (tmp_path / "new").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError, match="is a file, not a folder"):
        convert_generator(tmp_path / "junk.pkl", tmp_path / "file")


def test_convert_write_failure_removes_what_it_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lsi_rig.models.generator import cache as cache_module

    pkl = tmp_path / "tiny.pkl"
    write_generator_pickle(pkl, config="tiny", seed=2)

    def full_disk(tensors, path):  # type: ignore[no-untyped-def]
        Path(path).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module, "save_file", full_disk)
    with pytest.raises(ModelError, match="No space left on device"):
        convert_generator(pkl, tmp_path / "a" / "b")
    assert not (tmp_path / "a").exists()


def test_decoder_with_a_bogus_device_is_a_model_error() -> None:
    from lsi_rig.models.decoder import Decoder

    with pytest.raises(ModelError, match="device 'bogus' is not a torch device"):
        Decoder(None, None, device="bogus")  # type: ignore[arg-type]
