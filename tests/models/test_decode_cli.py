"""``lsi-rig decode`` end to end: files written, their contents, and user errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

import lsi_rig.models.generator as generator_pkg
from lsi_rig.cli.models_cmd import register
from lsi_rig.core.errors import ModelError, SessionError
from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.models.decoder import Decoder
from tests.models.ckpt_writer import (
    SMALL_CHANNELS,
    STAND_IN_CHANNELS,
    StandInSynthesis,
    write_checkpoint,
    write_small_generator_pickle,
)

N = 8


@pytest.fixture(scope="module")
def ckpt_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "real_8.pt"
    return write_checkpoint(path, N, channels=STAND_IN_CHANNELS, seed=9)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Route --generator to the stand-in synthesis (the real one is tested with M1's writer)."""
    pkl = tmp_path / "gen.pkl"
    pkl.write_bytes(b"stand-in")

    def fake_load(path: str | Path, *, device: str = "cpu") -> StandInSynthesis:
        assert Path(path) == pkl
        return StandInSynthesis(seed=3)

    monkeypatch.setattr(generator_pkg, "load_generator", fake_load)
    return pkl


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _invoke(args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(_app(), [str(a) for a in args])


def _npz(path: Path, array: np.ndarray) -> Path:
    np.savez(path, array=array)
    return path


def test_decode_npz_writes_all_outputs(tmp_path: Path, ckpt_path: Path, stand_in: Path) -> None:
    rng = np.random.default_rng(0)
    single = _npz(tmp_path / "119614.npz", rng.normal(size=N))  # float64, as the files may be
    stack = _npz(tmp_path / "stack.npz", rng.normal(size=(2, N)).astype(np.float32))
    out = tmp_path / "out"
    result = _invoke(
        [
            "decode",
            "--checkpoint",
            ckpt_path,
            "--generator",
            stand_in,
            "--out",
            out,
            "--vectors",
            single,
            "--vectors",
            stack,
            "--impl",
            "reference",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "decoded 3 vector(s)" in result.stdout
    stems = ["119614", "stack_0000", "stack_0001"]
    for stem in stems:
        for suffix in ("_rec.png", "_seg.png", "_seg_overlay.png", "_land.png", ".json"):
            assert (out / f"{stem}{suffix}").is_file(), stem + suffix

    decoder = Decoder.from_files(ckpt_path, StandInSynthesis(seed=3))
    expected = decoder.decode(np.load(stack)["array"][1])
    rec = np.asarray(Image.open(out / "stack_0001_rec.png"))
    np.testing.assert_array_equal(rec, expected.image[0])
    seg = Image.open(out / "stack_0001_seg.png")
    assert seg.mode == "P"
    np.testing.assert_array_equal(np.asarray(seg), expected.segmentation[0])
    assert np.asarray(seg).max() <= 18
    overlay = np.asarray(Image.open(out / "stack_0001_seg_overlay.png"))
    background = expected.segmentation[0] == 0
    np.testing.assert_array_equal(overlay[background], rec[background])

    record = json.loads((out / "stack_0001.json").read_text())
    assert record["vector_index"] == 1 and record["source"] == str(stack)
    assert list(record["attributes"]) == list(ATTRIBUTE_NAMES)
    np.testing.assert_allclose(
        [record["attributes"][k] for k in ATTRIBUTE_NAMES],
        expected.attribute_probabilities[0],
        rtol=1e-6,
    )
    np.testing.assert_allclose(record["landmarks_px"], expected.landmarks_px[0], rtol=1e-5)
    assert len(record["landmarks_px"]) == 68

    with (out / "attributes.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["stem"] for r in rows] == stems
    assert list(rows[0])[3:] == list(ATTRIBUTE_NAMES)
    assert float(rows[2]["Male"]) == pytest.approx(record["attributes"]["Male"], rel=1e-6)


def test_tasks_and_limit_restrict_outputs(tmp_path: Path, ckpt_path: Path, stand_in: Path) -> None:
    stack = _npz(tmp_path / "s.npz", np.ones((3, N), np.float32))
    out = tmp_path / "out"
    result = _invoke(
        [
            "decode",
            "--checkpoint",
            ckpt_path,
            "--generator",
            stand_in,
            "--out",
            out,
            "--vectors",
            stack,
            "--tasks",
            "image,attributes",
            "--limit",
            "2",
        ]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "attributes.csv", "s_0000.json", "s_0000_rec.png", "s_0001.json", "s_0001_rec.png",
    ]  # fmt: skip
    assert "landmarks_px" not in json.loads((out / "s_0000.json").read_text())


def test_user_errors_are_clear(tmp_path: Path, ckpt_path: Path, stand_in: Path) -> None:
    base = ["decode", "--checkpoint", ckpt_path, "--generator", stand_in, "--out", tmp_path / "o"]
    result = _invoke(base)
    assert isinstance(result.exception, SessionError)
    assert "nothing to decode" in str(result.exception)
    result = _invoke([*base, "--vectors", _npz(tmp_path / "long.npz", np.zeros(32))])
    assert isinstance(result.exception, ModelError)
    assert "n=8" in str(result.exception)
    np.savez(tmp_path / "other.npz", data=np.zeros(N))
    result = _invoke([*base, "--vectors", tmp_path / "other.npz"])
    assert isinstance(result.exception, SessionError)
    assert "no 'array' entry" in str(result.exception)
    result = _invoke([*base, "--vectors", _npz(tmp_path / "ok.npz", np.zeros(N)), "--tasks", "x"])
    assert isinstance(result.exception, ModelError)


def test_decode_with_real_pickle_and_converted_cache_agree(tmp_path: Path) -> None:
    """End to end with M1's restricted unpickler: .pkl and `models convert` cache agree."""
    ckpt = write_checkpoint(tmp_path / "small.pt", N, channels=SMALL_CHANNELS, seed=4)
    pkl = write_small_generator_pickle(tmp_path / "ffhq_small.pkl", seed=1)
    result = _invoke(["models", "convert", pkl, "--out", tmp_path / "cache"])
    assert result.exit_code == 0, result.output
    cache = Path(result.stdout.strip().splitlines()[-1])
    assert cache.is_dir()
    vec = _npz(tmp_path / "v.npz", np.random.default_rng(5).normal(size=N) * 100.0)
    for name, gen in (("from_pkl", pkl), ("from_cache", cache)):
        result = _invoke(["decode", "--checkpoint", ckpt, "--generator", gen,
                          "--out", tmp_path / name, "--vectors", vec])  # fmt: skip
        assert result.exit_code == 0, result.output
    for suffix in ("_rec.png", "_seg.png", "_land.png"):
        a = np.asarray(Image.open(tmp_path / "from_pkl" / f"v{suffix}"))
        b = np.asarray(Image.open(tmp_path / "from_cache" / f"v{suffix}"))
        assert a.shape[:2] == (24, 24)
        np.testing.assert_array_equal(a, b)


def test_real_session_file_is_decoded(tmp_path: Path, ckpt_path: Path, stand_in: Path) -> None:
    """A session captured through the checkpoint's own masks decodes; scene ids and flags
    reach the JSON."""
    from lsi_rig.masks import load_masks
    from lsi_rig.storage import open_session
    from tests.decode.fakes import write_session

    session = write_session(tmp_path / "capture.h5", load_masks(str(ckpt_path)), n_records=3)
    out = tmp_path / "out"
    result = _invoke(["decode", session, "--checkpoint", ckpt_path, "--generator", stand_in,
                      "--out", out, "--tasks", "image,attributes", "--limit", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    with open_session(session) as reader:
        vectors = reader.vectors(kind="offset_corrected")
        scene_ids = reader.scene_ids()
        flags = reader.records_table()["flags"]
    records = sorted(out.glob("*.json"))
    assert [p.name for p in records] == [f"capture_{i:05d}_{scene_ids[i]}.json" for i in range(2)]
    decoder = Decoder.from_files(ckpt_path, StandInSynthesis(seed=3))
    expected = decoder.decode(vectors[1], tasks={"image"}).image[0]
    rec = np.asarray(Image.open(out / f"capture_00001_{scene_ids[1]}_rec.png"))
    np.testing.assert_array_equal(rec, expected)
    record = json.loads(records[1].read_text())
    assert record["scene_id"] == scene_ids[1] and record["vector_index"] == 1
    assert record["vector_kind"] == "offset_corrected" and record["forced"] is False
    assert record["model_mask_sha256"] == decoder.mask_sha256
    assert len(record["record_flags"]) == bin(int(flags[1])).count("1")
