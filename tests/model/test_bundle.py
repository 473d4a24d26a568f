"""Model files (skops and runtime): round trip, no code execution, clear errors for bad files."""

from __future__ import annotations

import copy
import os
import pickle
from pathlib import Path

import pytest

from qualityscore.errors import ModelError
from qualityscore.model.bundle import (
    Bundle,
    default_model_path,
    default_training_output,
    load_bundle,
    save_bundle,
)


@pytest.fixture(scope="module", params=["npz", "skops"])
def shipped(request: pytest.FixtureRequest) -> Bundle:
    """Each shipped file; ``.suffix`` is how to save it again."""
    path = default_model_path() if request.param == "npz" else default_training_output()
    assert path.suffix == "." + request.param
    bundle = load_bundle(path)
    bundle.suffix = path.suffix  # type: ignore[attr-defined]
    return bundle


@pytest.fixture(scope="module")
def saved(shipped: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each shipped bundle saved again as its own kind of file, once: test_round_trip loads
    the file and test_truncated_file_is_a_clear_error loads half a copy of it (saving the
    skops file takes about 6 s, and both tests saved the same bundle to the same kind of file)."""
    path = tmp_path_factory.mktemp("saved") / ("m" + shipped.suffix)  # type: ignore[attr-defined]
    save_bundle(shipped, path)
    return path


def test_scorer_loads_the_runtime_file_by_default() -> None:
    assert default_model_path().suffix == ".npz"
    assert type(load_bundle().model).__name__ == "CompiledVote"


def test_shipped_model_carries_its_metadata(shipped: Bundle) -> None:
    from qualityscore.signals import feature_names

    meta = shipped.metadata
    assert meta["feature_names"] == feature_names()
    for key in ("model_version", "created", "versions", "training_data", "thresholds", "metrics"):
        assert key in meta
    assert meta["versions"]["scikit-learn"]
    assert meta["training_data"]["digests"]
    th = meta["thresholds"]
    assert 0 <= th["reject_below"] <= th["review_below"] <= 100


def test_round_trip(saved: Path, shipped: Bundle) -> None:
    again = load_bundle(saved)
    assert again.metadata == shipped.metadata
    assert again.spin_resources == shipped.spin_resources


def test_truncated_file_is_a_clear_error(tmp_path: Path, saved: Path) -> None:
    path = tmp_path / saved.name  # the saved file stays whole for test_round_trip
    data = saved.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.corrupt"
    # Named as damaged in either format's words: a cut-short .npz is no "skops archive".
    assert "is damaged" in str(exc.value) and "cut short" in str(exc.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as exc:
        load_bundle(tmp_path / "absent.skops")
    assert exc.value.type == "model.not_found"


def test_other_signal_set_is_refused(tmp_path: Path, shipped: Bundle) -> None:
    other = copy.copy(shipped)
    other.metadata = {**shipped.metadata, "feature_names": shipped.metadata["feature_names"][:-1]}
    path = tmp_path / ("m" + shipped.suffix)  # type: ignore[attr-defined]
    save_bundle(other, path)
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.incompatible"


class _Exploit:
    """Unpickling this runs a shell command: exactly what a model file must never do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_crafted_pickle_is_refused_without_opt_in(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for name, dump in (("m.pkl", pickle.dumps), ("m.joblib", None)):
        path = tmp_path / name
        if dump is not None:
            path.write_bytes(dump(_Exploit(marker)))
        else:
            import joblib

            joblib.dump(_Exploit(marker), path)
        with pytest.raises(ModelError) as exc:
            load_bundle(path)
        assert exc.value.type == "model.untrusted_format"
    assert not marker.exists()


class _Payload:
    """A plain class of ours: skops can store it, and must not trust it on load."""

    def __init__(self) -> None:
        self.x = 1


def test_untrusted_type_inside_skops_is_refused(tmp_path: Path) -> None:
    import skops.io as sio

    path = tmp_path / "m.skops"
    # A skops file whose payload holds a type we never allow-listed.
    sio.dump({"format": 1, "metadata_json": "{}", "spin_resources_json": "{}",
              "model": _Payload()}, path)
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.untrusted_types"
