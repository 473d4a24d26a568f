"""The model files: the fitted pipeline, the spin resources and the metadata that says
how it was made, in two forms written together by ``qualityscore train``:

* ``qualityscore-model.skops``: the scikit-learn objects themselves, for evaluation,
  ablation and anyone who wants to inspect them. skops reconstructs objects from a schema
  instead of unpickling, so loading never runs code from the file; types skops does not
  trust by default must be on our explicit allow-list (``TRUSTED_TYPES``).
* ``qualityscore-model.npz``: the same model compiled to arrays (``runtime.py``), loaded
  with ``allow_pickle=False`` and scored with NumPy alone. This is what ``Scorer`` loads by
  default: it starts in a fraction of the time (importing skops imports all of
  scikit-learn) and gives the skops model's probabilities (checked at training time).

Pickle/joblib files are refused unless the caller opts in with ``trust_pickle=True``
(CLI ``--trust-model``).
"""

from __future__ import annotations

import json
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelError

BUNDLE_FORMAT = 1
SKOPS_MODEL_NAME = "qualityscore-model.skops"
RUNTIME_MODEL_NAME = "qualityscore-model.npz"

# Types the shipped pipeline is made of that skops does not trust out of the box.
# Reviewed by hand: each is a plain scikit-learn/numpy class with no load-time behaviour.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._label.LabelEncoder",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.Interval",
        "sklearn.utils._bunch.Bunch",
        "numpy.float32",
        "numpy.float64",
        "numpy.int64",
        "numpy.dtype",
        "builtins.slice",
        # The project's own two-branch vote: parameters and two fitted Pipelines as
        # attributes; skops sets them without running any of its code.
        "qualityscore.model.vote.EvidenceVote",
    }
)


@dataclass
class Bundle:
    model: Any
    metadata: dict[str, Any]
    spin_resources: dict[str, Any] = field(default_factory=dict)
    health_stats: dict[str, Any] = field(default_factory=dict)
    spin_tagger: Any = None

    def resources(self):  # type: ignore[no-untyped-def]
        """The spin detector's learned resources, ready for ``SignalSet``."""
        from ..signals import SpinResources

        return SpinResources.from_plain(
            self.spin_resources, stats=self.health_stats, tagger=self.spin_tagger
        )

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.metadata.get("thresholds", {}))

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))


def _model_dir() -> Path:
    """Where the shipped model lives: packaged beside the code, or models/ in a checkout."""
    here = Path(__file__).resolve()
    packaged = here.parent.parent / "data"
    if (packaged / RUNTIME_MODEL_NAME).exists() or (packaged / SKOPS_MODEL_NAME).exists():
        return packaged
    return here.parents[2] / "models"


def default_model_path() -> Path:
    """The model ``Scorer`` loads by default: the runtime file, else the skops file."""
    folder = _model_dir()
    runtime = folder / RUNTIME_MODEL_NAME
    return runtime if runtime.exists() else folder / SKOPS_MODEL_NAME


def default_training_output() -> Path:
    """Where ``qualityscore train`` writes the skops file (the runtime file goes beside it)."""
    return _model_dir() / SKOPS_MODEL_NAME


def runtime_path_for(skops_path: Path) -> Path:
    return skops_path.with_suffix(".npz")


def save_bundle(bundle: Bundle, path: Path) -> None:
    """Write a bundle: ``.npz`` as the runtime file (the model compiled if it is not yet),
    anything else as a skops file (scikit-learn objects only)."""
    if path.suffix == ".npz":
        _save_runtime(bundle, path)
        return
    from .runtime import CompiledVote

    if isinstance(bundle.model, CompiledVote):
        raise ValueError("a compiled (runtime) model can only be saved as .npz; "
                         "load the .skops file to write a skops file")
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": BUNDLE_FORMAT,
        "metadata_json": json.dumps(bundle.metadata, sort_keys=True),
        "spin_resources_json": json.dumps(bundle.spin_resources, sort_keys=True),
        "model": bundle.model,
        "health_stats": _stats_for_disk(bundle.health_stats),
        "spin_tagger": bundle.spin_tagger,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    sio.dump(payload, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp.replace(path)


def _save_runtime(bundle: Bundle, path: Path) -> None:
    from .runtime import CompiledTrees, CompiledVote, compile_model, compile_trees, save_runtime

    model = bundle.model if isinstance(bundle.model, CompiledVote) else compile_model(bundle.model)
    tagger = bundle.spin_tagger
    if tagger is not None and not isinstance(tagger, CompiledTrees):
        tagger = compile_trees(tagger)
    save_runtime(path, model=model, tagger=tagger, metadata=bundle.metadata,
                 spin_resources=bundle.spin_resources, health_stats=bundle.health_stats)


def _stats_for_disk(stats: dict[str, Any]) -> dict[str, Any]:
    """The vocabulary as one string: skops writes each list item as a node of its own."""
    if not stats:
        return {}
    return {**stats, "vocab": "\n".join(stats["vocab"])}


def _stats_from_disk(stats: dict[str, Any] | None) -> dict[str, Any]:
    if not stats:
        return {}
    vocab = stats["vocab"]
    return {**stats, "vocab": vocab.split("\n") if vocab else []}


def _looks_like_pickle(head: bytes) -> bool:
    return head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q")


def load_bundle(path: str | Path | None = None, *, trust_pickle: bool = False) -> Bundle:
    """Load and check a model file. Raises ModelError with what to do, never a traceback."""
    p = Path(path) if path is not None else default_model_path()
    if not p.exists():
        raise ModelError(
            f"model file not found: {p}. Train one with `qualityscore train` or pass --model.",
            type="model.not_found",
        )
    if not p.is_file():  # a directory, a device (/dev/zero) or a pipe is never a model
        raise ModelError(f"{p} is not a regular file, so not a model file", type="model.unreadable")
    try:
        with p.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {p}: {exc}", type="model.unreadable") from exc
    if head.startswith(b"PK"):
        from .runtime import is_runtime_file

        if is_runtime_file(p):
            return _load_runtime(p)
        _require_readable_zip(p)
    if not head.startswith(b"PK"):
        if _looks_like_pickle(head):
            if not trust_pickle:
                raise ModelError(
                    f"{p} is a pickle/joblib file, which can run arbitrary code when loaded. "
                    "Refusing it. Use a .skops model, or pass --trust-model (trust_pickle=True) "
                    "only if you made this file yourself.",
                    type="model.untrusted_format",
                )
            return _load_pickle(p)
        raise ModelError(f"{p} is not a qualityscore model file", type="model.corrupt")

    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    # One parse: skops audits every type against the allow-list before it builds any
    # object, and refuses the file if one is not on it. Only then is the file read again,
    # to name the types in the error.
    try:
        payload = sio.load(p, trusted=sorted(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        raise _untrusted(p) from exc
    except Exception as exc:
        raise ModelError(
            f"{p} is damaged or not a skops archive ({type(exc).__name__}: {exc}). "
            "Re-download or retrain the model.",
            type="model.corrupt",
        ) from exc
    try:
        metadata = json.loads(payload["metadata_json"])
        resources = json.loads(payload["spin_resources_json"])
        model = payload["model"]
        health_stats = _stats_from_disk(payload.get("health_stats"))
        spin_tagger = payload.get("spin_tagger")
    except Exception as exc:
        raise _unloadable(p, exc) from exc
    bundle = Bundle(model=model, metadata=metadata, spin_resources=resources,
                    health_stats=health_stats, spin_tagger=spin_tagger)
    check_compatible(bundle, p)
    return bundle


def _require_readable_zip(p: Path) -> None:
    """Both model formats are zip archives (``.npz``, ``.skops``). One that starts like a zip
    but cannot be opened as one (cut short in a download or a copy) is named as damaged
    here, in the words of either format, before skops is imported to read it."""
    import zipfile

    try:
        with zipfile.ZipFile(p):
            pass
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(
            f"{p} is damaged: it starts like a model file (a zip archive, .npz or .skops) but cannot "
            f"be read as one ({type(exc).__name__}: {exc}); it may have been cut short. "
            "Re-download or retrain the model.",
            type="model.corrupt",
        ) from exc


def _untrusted(p: Path) -> ModelError:
    import skops.io as sio

    try:
        unknown = sorted(set(sio.get_untrusted_types(file=p)) - TRUSTED_TYPES)
    except Exception:  # the file was refused already; naming the types is a courtesy
        unknown = []
    return ModelError(
        f"{p} contains types qualityscore does not trust: {', '.join(unknown) or 'unknown'}. "
        "It was not made by this version of qualityscore, or it was tampered with.",
        type="model.untrusted_types",
    )


def _unloadable(p: Path, exc: Exception) -> ModelError:
    return ModelError(
        f"{p} could not be loaded ({type(exc).__name__}: {exc}). Retrain or re-download it.",
        type="model.corrupt",
    )


def _load_runtime(p: Path) -> Bundle:
    from .runtime import load_runtime

    try:
        parts = load_runtime(p)
    except ModelError:
        raise
    except Exception as exc:
        raise _unloadable(p, exc) from exc
    bundle = Bundle(model=parts["model"], metadata=parts["metadata"],
                    spin_resources=parts["spin_resources"], health_stats=parts["health_stats"],
                    spin_tagger=parts["spin_tagger"])
    check_compatible(bundle, p, check_sklearn=False)
    return bundle


def _load_pickle(p: Path) -> Bundle:
    import joblib

    try:
        obj = joblib.load(p)
    except Exception as exc:
        raise ModelError(f"{p} could not be loaded: {exc}", type="model.corrupt") from exc
    if not isinstance(obj, Bundle):
        raise ModelError(f"{p} does not hold a qualityscore Bundle", type="model.corrupt")
    check_compatible(obj, p)
    return obj


def check_compatible(bundle: Bundle, path: Path, *, check_sklearn: bool = True) -> None:
    """Refuse a bundle whose features differ from this code; warn on library drift."""
    from ..signals import feature_names

    meta = bundle.metadata
    if meta.get("bundle_format") != BUNDLE_FORMAT:
        raise ModelError(
            f"{path} has bundle format {meta.get('bundle_format')!r}; this qualityscore "
            f"reads format {BUNDLE_FORMAT}. Retrain with `qualityscore train`.",
            type="model.incompatible",
        )
    if meta.get("feature_names") != feature_names():
        raise ModelError(
            f"{path} was trained on a different signal set than this qualityscore computes. "
            "Retrain with `qualityscore train` (or install the matching qualityscore).",
            type="model.incompatible",
        )
    if "lexicon" in meta:  # recorded by `train` since 2026-11-23: older model files lack it
        from ..signals.spin import lexicon_digest

        if meta["lexicon"] != lexicon_digest():
            raise ModelError(
                f"{path} was trained with substitution lexicon {meta['lexicon']!r}; the "
                f"lexicons of this installation (qualityscore/lexicons/) give "
                f"{lexicon_digest()!r}, and the spin signals would not mean what the model "
                "learned. Retrain with `qualityscore train`, or restore the lexicon files "
                "the model was trained with.",
                type="model.incompatible",
            )
    if bundle.spin_tagger is not None:
        from ..ngrams import bigrams_digest
        from ..signals.spin_model import TOKEN_FEATURES
        from ..wordvectors import vectors_digest

        if meta.get("token_features") != list(TOKEN_FEATURES):
            raise ModelError(
                f"{path} has a spin tagger trained on other token features than this "
                "qualityscore computes. Retrain with `qualityscore train`.",
                type="model.incompatible",
            )
        for key, what, have, packaged in (
            ("word_vectors", "word vectors", vectors_digest(), "qualityscore/wordvectors/glove.npz"),
            ("bigrams", "bigram statistics", bigrams_digest(), "qualityscore/ngrams/cmu_bigrams.npz"),
        ):
            if meta.get(key) != have:
                raise ModelError(
                    f"{path} was trained with {what} {meta.get(key)!r}; this "
                    f"installation has {have!r} ({packaged}). "
                    "Reinstall qualityscore or retrain with `qualityscore train`.",
                    type="model.incompatible",
                )
    if not check_sklearn:  # the runtime file does not use scikit-learn to predict
        return
    import sklearn

    trained = str(meta.get("versions", {}).get("scikit-learn", ""))
    if trained.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        warnings.warn(
            f"{path} was trained with scikit-learn {trained}; this is {sklearn.__version__}. "
            "Predictions may differ; retrain to be sure.",
            RuntimeWarning,
            stacklevel=3,
        )
