"""DecodeService: sessions, ranges, arrays; provenance; cancel; refusing the wrong model."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.core.errors import SessionError
from lsi_rig.decode.checks import ModelMismatchError
from lsi_rig.decode.service import DecodedVector, DecodeProgress, DecodeService
from lsi_rig.decode.vectors import (
    MeasurementVector,
    parse_records,
    read_session,
    session_vector_kind,
)
from lsi_rig.storage import open_session
from tests.decode.fakes import FakeDecoder, random_masks, write_session

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def masks():  # type: ignore[no-untyped-def]
    return random_masks(8)


@pytest.fixture
def session(tmp_path: Path, masks) -> Path:  # type: ignore[no-untyped-def]
    return write_session(tmp_path / "run.h5", masks, n_records=6, n_scenes=3)


def _stored(path: Path) -> tuple[np.ndarray, list[str], np.ndarray]:
    with open_session(path) as reader:
        return reader.vectors("offset_corrected"), reader.scene_ids(), reader.records_table()


def test_session_is_decoded_with_provenance(session: Path, masks) -> None:  # type: ignore[no-untyped-def]
    decoder = FakeDecoder(8, mask_sha256=masks.sha256)
    service = DecodeService(decoder, tasks={"image"})
    progress: list[DecodeProgress] = []
    results = list(service.decode_session(session, progress=progress.append))
    vectors, scene_ids, table = _stored(session)
    assert [r.position for r in results] == list(range(6)) and {r.total for r in results} == {6}
    for i, decoded in enumerate(results):
        assert isinstance(decoded, DecodedVector)
        np.testing.assert_array_equal(decoder.calls[i][0], vectors[i])
        assert decoded.result.image[0, 0, 0, 0] == int(abs(vectors[i].sum())) % 256
        p = decoded.provenance
        assert (p.source, p.vector_index, p.scene_id) == (str(session), i, scene_ids[i])
        assert p.vector_kind == "offset_corrected" and p.model == "fake.pt"
        assert p.model_mask_sha256 == masks.sha256 and p.tasks == ("image",)
        assert p.n_measurements == 8 and p.forced is False
        flags = int(table["flags"][i])
        assert len(p.record_flags) == bin(flags).count("1")
        assert decoded.vector.stem == f"run_{i:05d}_{scene_ids[i]}"
    assert [(p.done, p.total) for p in progress] == [(k, 6) for k in range(1, 7)]
    assert progress[-1].stem == results[-1].vector.stem


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1:4", [1, 2, 3]), ("4:", [4, 5]), (":2", [0, 1]), ("3", [3]), ("-1", [5]), ("-2:", [4, 5])],
)
def test_record_ranges(session: Path, masks, text: str, expected: list[int]) -> None:  # type: ignore[no-untyped-def]
    service = DecodeService(FakeDecoder(8, mask_sha256=masks.sha256))
    results = list(service.decode_session(session, records=parse_records(text)))
    assert [r.provenance.vector_index for r in results] == expected


@pytest.mark.parametrize("text", ["a:b", "1:2:3", "x", "1.5"])
def test_bad_record_range_text(text: str) -> None:
    with pytest.raises(SessionError, match="--records"):
        parse_records(text)


def test_empty_record_range_is_refused(session: Path) -> None:
    with pytest.raises(SessionError, match=r"records 9:12 select none of its 6 records"):
        read_session(session, records=slice(9, 12))


def test_arrays_and_vector_lists(masks) -> None:  # type: ignore[no-untyped-def]
    service = DecodeService(FakeDecoder(8))
    rows = np.arange(24, dtype=np.float64).reshape(3, 8)
    results = list(service.decode_arrays(rows, source="live"))
    assert [r.vector.stem for r in results] == ["live_0000", "live_0001", "live_0002"]
    assert [int(r.result.image[0, 0, 0, 0]) for r in results] == [28, 92, 156]
    assert {r.provenance.vector_kind for r in results} == {"array"}
    single = list(service.decode_arrays(rows[1]))
    assert len(single) == 1 and single[0].provenance.vector_index == 0
    with pytest.raises(ModelMismatchError, match=r"vector 1 has 5 values but model fake\.pt"):
        list(service.decode_vectors([
            MeasurementVector(np.zeros(8, np.float32), "a", "x.npz", 0),
            MeasurementVector(np.zeros(5, np.float32), "b", "x.npz", 1),
        ]))  # fmt: skip


def test_cancel_between_vectors_from_another_thread() -> None:
    cancelled = threading.Event()
    service: DecodeService

    def during_third(values: np.ndarray) -> None:
        if values[0] == 2:  # vector 2 is being decoded: cancel from another thread, wait for it
            threading.Thread(target=lambda: (service.cancel(), cancelled.set())).start()
            assert cancelled.wait(30)
        return None

    decoder = FakeDecoder(8, fail=during_third)
    service = DecodeService(decoder)
    rows = np.repeat(np.arange(50, dtype=np.float32)[:, None], 8, axis=1)
    seen = [decoded.position for decoded in service.decode_arrays(rows)]
    assert service.cancelled
    assert seen == [0, 1, 2]  # the vector in progress finishes, the next one never starts
    assert len(decoder.calls) == 3


def test_cancel_before_the_run_is_kept_until_reset() -> None:
    service = DecodeService(FakeDecoder(8))
    service.cancel()
    assert list(service.decode_arrays(np.ones((3, 8)))) == []
    service.reset()
    assert len(list(service.decode_arrays(np.ones((3, 8))))) == 3


def test_cancel_from_the_progress_callback() -> None:
    service = DecodeService(FakeDecoder(8))

    def progress(p: DecodeProgress) -> None:
        if p.done == 3:
            service.cancel()

    assert len(list(service.decode_arrays(np.ones((10, 8)), progress=progress))) == 3


# -- the right model for the masks -------------------------------------------------------------


def test_other_masks_are_refused_naming_both_hashes(session: Path, masks) -> None:  # type: ignore[no-untyped-def]
    other = random_masks(8, seed=99)
    service = DecodeService(FakeDecoder(8, mask_sha256=other.sha256, name="real_8.pt"))
    with pytest.raises(ModelMismatchError) as info:
        list(service.decode_session(session))
    message = str(info.value)
    for needle in (str(session), "random8", masks.sha256[:12], other.sha256[:12],
                   "real_8.pt", "--force"):  # fmt: skip
        assert needle in message, (needle, message)


def test_force_decodes_with_a_warning(session: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = DecodeService(FakeDecoder(8, mask_sha256="0" * 64))
    with caplog.at_level("WARNING", logger="lsi_rig.decode"):
        results = list(service.decode_session(session, force=True))
    assert len(results) == 6 and all(r.provenance.forced for r in results)
    assert any("decoding anyway (--force)" in r.getMessage() for r in caplog.records)


def test_unknown_model_masks_are_not_checked(session: Path) -> None:
    assert len(list(DecodeService(FakeDecoder(8, mask_sha256=None)).decode_session(session))) == 6


def test_length_mismatch_cannot_be_forced(session: Path, masks) -> None:  # type: ignore[no-untyped-def]
    service = DecodeService(FakeDecoder(16, mask_sha256=masks.sha256))
    for force in (False, True):
        with pytest.raises(ModelMismatchError, match=r"holds 8-value vectors .* expects n=16"):
            list(service.decode_session(session, force=force))


def test_complementary_session_is_refused_unless_forced(tmp_path: Path, masks) -> None:  # type: ignore[no-untyped-def]
    path = write_session(tmp_path / "diff.h5", masks.with_complementary(), n_records=2)
    service = DecodeService(FakeDecoder(8, mask_sha256=masks.sha256))
    with pytest.raises(ModelMismatchError, match="complementary masks"):
        list(service.decode_session(path))
    assert len(list(service.decode_session(path, force=True))) == 2


def test_calibrated_vectors_are_decoded_when_the_session_has_them(tmp_path: Path) -> None:
    from lsi_rig.config import load_rig
    from lsi_rig.core.calibration import CalibrationSnapshot
    from lsi_rig.jobs import CaptureJob, CaptureRequest, plan_from_config
    from lsi_rig.masks import load_masks
    from lsi_rig.scenes.procedural import demo_scenes
    from lsi_rig.scenes.source import InMemoryScenes
    from lsi_rig.storage import open_session

    class Halve:
        snapshot = CalibrationSnapshot.create(rig_name="sim-ideal", content_yaml="halve: 1\n")

        def scene_image(self, image: np.ndarray) -> np.ndarray:
            return image

        def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
            return vector_v / 2

    config = load_rig("sim-ideal")
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=2)),
        masks=load_masks("demo:hadamard16:16"),
    )
    from lsi_rig.decode.units import world_units_per_volt

    kinds, got_kinds = {}, {}
    per_volt = world_units_per_volt(config.world, config.devices.detector.gain_db)
    for name, calibration in (("plain", None), ("calibrated", Halve())):
        out = tmp_path / f"{name}.h5"
        CaptureJob(CaptureRequest(config, plan, out, calibration=calibration)).run()
        with open_session(out) as reader:
            kinds[name] = session_vector_kind(reader)
            raw = reader.vectors()
        got = read_session(out)
        got_kinds[name] = got.kind
        values = np.stack([v.values for v in got.vectors])
        # an uncalibrated sim session is put on the simulation scale by its world's own factor
        want = raw * per_volt if calibration is None else raw / 2
        np.testing.assert_allclose(values, want, rtol=1e-6)
    assert kinds == {"plain": "offset_corrected", "calibrated": "calibrated"}
    assert got_kinds == {"plain": "world_scaled", "calibrated": "calibrated"}
    assert 1e3 < per_volt < 1e9  # volts are far from simulation units: the factor matters


def test_empty_session_is_refused(tmp_path: Path, masks) -> None:  # type: ignore[no-untyped-def]
    path = write_session(tmp_path / "empty.h5", masks, n_records=0)
    with pytest.raises(SessionError, match=r"empty\.h5 holds no committed records"):
        read_session(path)
