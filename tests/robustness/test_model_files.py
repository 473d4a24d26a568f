"""Untrusted model files, beyond tests/model/test_bundle.py.

A model file may come from anywhere (``--model FILE``). These cover what the bundle tests
do not: a skops archive whose schema was edited by hand to name a dangerous type, a
damaged archive, a file built for another scikit-learn or bundle format, and the same
refusals through the command line (exit 3, no traceback).
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from qs_testkit import EXAMPLES

from qualityscore.cli import main
from qualityscore.errors import ModelError
from qualityscore.model.bundle import Bundle, check_compatible, default_training_output, load_bundle

LEAFLET = str(EXAMPLES / "leaflet.txt")


def _first_object_node(node: Any) -> dict[str, Any] | None:
    """The first node skops rebuilds as an object of some class (a fitted estimator)."""
    if isinstance(node, dict):
        if node.get("__loader__") == "ObjectNode":
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _first_object_node(child)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Archive:
    """The shipped model's members, read once (its schema.json alone is tens of MB)."""

    members: tuple[tuple[str, bytes], ...]

    @property
    def schema(self) -> dict[str, Any]:
        return json.loads(dict(self.members)["schema.json"])

    def write(self, dst: Path, *, schema: bytes | None = None, drop: str = "") -> Path:
        """A copy with schema.json replaced and/or one member left out."""
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as z:
            for name, data in self.members:
                if name == drop:
                    continue
                z.writestr(name, schema if name == "schema.json" and schema is not None else data)
        return dst


def retarget(tree: dict[str, Any], module: str, cls: str, loader: str = "ObjectNode") -> bytes:
    """The schema with one estimator's node naming another class (or a function)."""
    node = _first_object_node(tree)
    assert node is not None, "the shipped model has no object node to tamper with"
    node["__module__"], node["__class__"], node["__loader__"] = module, cls, loader
    if loader == "FunctionNode":
        node["content"] = {"module_path": module, "function": cls}
    return json.dumps(tree).encode()


@pytest.fixture(scope="module")
def archive() -> Archive:
    path = default_training_output()  # the shipped skops file
    if not path.exists():
        pytest.skip("no shipped model")
    with zipfile.ZipFile(path) as z:
        return Archive(tuple((info.filename, z.read(info.filename)) for info in z.infolist()))


@pytest.fixture(scope="module")
def os_system_model(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tampered") / "os-system.skops"
    return archive.write(out, schema=retarget(archive.schema, "os", "system"))


def test_schema_edited_to_name_os_system_is_refused(os_system_model: Path) -> None:
    with pytest.raises(ModelError) as exc:
        load_bundle(os_system_model)
    assert exc.value.type == "model.untrusted_types"
    assert "os.system" in exc.value.message


@pytest.mark.parametrize(
    ("module", "cls", "loader", "named"),
    [
        ("builtins", "eval", "FunctionNode", "builtins.eval"),
        ("qualityscore_evil.payload", "Payload", "ObjectNode", "qualityscore_evil.payload.Payload"),
    ],
    ids=["function-eval", "unknown-class"],
)
def test_schema_edited_to_name_an_unlisted_type_is_refused(
    archive: Archive, tmp_path: Path, module: str, cls: str, loader: str, named: str
) -> None:
    path = archive.write(tmp_path / "tampered.skops", schema=retarget(archive.schema, module, cls, loader))
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.untrusted_types"
    assert named in exc.value.message


def test_schema_that_is_not_json_is_corrupt(archive: Archive, tmp_path: Path) -> None:
    path = archive.write(tmp_path / "m.skops", schema=b'{"__class__": "dict", ')
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.corrupt"


def test_archive_missing_an_array_is_corrupt(archive: Archive, tmp_path: Path) -> None:
    member = next(name for name, _ in archive.members if name.endswith(".npy"))
    path = archive.write(tmp_path / "m.skops", drop=member)
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.corrupt"


def test_other_scikit_learn_version_warns(scorer) -> None:  # type: ignore[no-untyped-def]
    meta = scorer.bundle.metadata
    drifted = Bundle(model=None, metadata={**meta, "versions": {**meta["versions"], "scikit-learn": "0.24.2"}})
    with pytest.warns(RuntimeWarning, match=r"scikit-learn 0\.24\.2"):
        check_compatible(drifted, Path("drifted.skops"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_compatible(Bundle(model=None, metadata=meta), Path("same.skops"))


def test_other_bundle_format_is_refused(scorer) -> None:  # type: ignore[no-untyped-def]
    other = Bundle(model=None, metadata={**scorer.bundle.metadata, "bundle_format": 99})
    with pytest.raises(ModelError) as exc:
        check_compatible(other, Path("future.skops"))
    assert exc.value.type == "model.incompatible"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("token_features", ["general_zipf"], "other token features"),
        ("token_features", None, "other token features"),
        ("word_vectors", "0123456789abcdef", "word vectors '0123456789abcdef'"),
        ("bigrams", "0123456789abcdef", "bigram statistics '0123456789abcdef'"),
        ("bigrams", None, "bigram statistics None"),
    ],
    ids=["fewer-token-features", "no-token-features", "other-vectors", "other-bigrams", "no-bigrams"],
)
def test_spin_tagger_fed_other_inputs_is_refused(scorer, key: str, value, message: str) -> None:  # type: ignore[no-untyped-def]
    """The tagger's trees index token-feature columns: other columns, or the same columns
    computed from other word vectors or bigram statistics, would give silent nonsense."""
    bundle = scorer.bundle
    assert bundle.spin_tagger is not None
    meta = {**bundle.metadata, key: value}
    with pytest.raises(ModelError, match=message) as exc:
        check_compatible(Bundle(model=None, metadata=meta, spin_tagger=bundle.spin_tagger), Path("m.npz"))
    assert exc.value.type == "model.incompatible"
    # The same metadata without a tagger has nothing to feed.
    check_compatible(Bundle(model=None, metadata=meta), Path("m.npz"), check_sklearn=False)


def test_a_model_trained_with_another_lexicon_is_refused(scorer) -> None:  # type: ignore[no-untyped-def]
    """The spin signals count the lexicon's entries: a model trained with other entries
    (a user's edited lexicon files, or another release's) would read them as something
    else. A model file from before the digest was recorded is still read."""
    from qualityscore.signals.spin import lexicon_digest

    meta = dict(scorer.bundle.metadata)
    assert meta.get("lexicon") == lexicon_digest()  # the shipped model records it
    other = Bundle(model=None, metadata={**meta, "lexicon": "0123456789abcdef"})
    with pytest.raises(ModelError, match=r"lexicon '0123456789abcdef'.*qualityscore/lexicons") as exc:
        check_compatible(other, Path("m.npz"), check_sklearn=False)
    assert exc.value.type == "model.incompatible"
    meta.pop("lexicon")
    check_compatible(Bundle(model=None, metadata=meta), Path("old.npz"), check_sklearn=False)


def test_the_lexicon_digest_reads_entries_not_bytes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The order of the terms (or a comment) in a lexicon file does not change the
    digest; an entry does."""
    from qualityscore.signals import spin

    before = spin.lexicon_digest()
    entries = spin.load_lexicon().entries
    try:
        for changed, lexicon in ((False, spin.Lexicon.from_entries(list(reversed(entries)))),
                                 (True, spin.Lexicon.from_entries(list(entries[1:])))):
            monkeypatch.setattr(spin, "load_lexicon", lambda lexicon=lexicon: lexicon)
            spin.lexicon_digest.cache_clear()
            assert (spin.lexicon_digest() != before) is changed
    finally:
        monkeypatch.undo()
        spin.lexicon_digest.cache_clear()
    assert spin.lexicon_digest() == before


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_refuses_a_tampered_model(os_system_model: Path) -> None:
    res = run("score", "--model", str(os_system_model), LEAFLET)
    assert res.exit_code == 3
    assert "model.untrusted_types" in res.output and "Traceback" not in res.output


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_cli_refuses_a_pickle_without_trust_model(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_Exploit(marker)))
    res = run("score", "--model", str(path), LEAFLET)
    assert res.exit_code == 3
    assert "model.untrusted_format" in res.output and "--trust-model" in res.output
    assert not marker.exists()
