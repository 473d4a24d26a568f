"""The model file: a skops archive holding the fitted pipeline, the spin resources and
the metadata that says how it was made.

skops reconstructs objects from a schema instead of unpickling, so loading a file never
runs code from it. Types skops does not trust by default must be on our explicit
allow-list (``TRUSTED_TYPES``); anything else is refused. Pickle/joblib files are refused
unless the caller opts in with ``trust_pickle=True`` (CLI ``--trust-model``).
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
DEFAULT_MODEL_NAME = "qualityscore-model.skops"

# Types the shipped pipeline is made of that skops does not trust out of the box.
# Reviewed by hand: each is a plain scikit-learn/numpy class with no load-time behaviour.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._voting.VotingClassifier",
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


def default_model_path() -> Path:
    """The shipped model: packaged beside the code, or models/ in a source checkout."""
    here = Path(__file__).resolve()
    packaged = here.parent.parent / "data" / DEFAULT_MODEL_NAME
    if packaged.exists():
        return packaged
    return here.parents[2] / "models" / DEFAULT_MODEL_NAME


def save_bundle(bundle: Bundle, path: Path) -> None:
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
    try:
        head = p.read_bytes()[:4]
    except OSError as exc:
        raise ModelError(f"cannot read model file {p}: {exc}", type="model.unreadable") from exc
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

    try:
        untrusted = set(sio.get_untrusted_types(file=p))
    except Exception as exc:
        raise ModelError(
            f"{p} is damaged or not a skops archive ({type(exc).__name__}: {exc}). "
            "Re-download or retrain the model.",
            type="model.corrupt",
        ) from exc
    unknown = sorted(untrusted - TRUSTED_TYPES)
    if unknown:
        raise ModelError(
            f"{p} contains types qualityscore does not trust: {', '.join(unknown)}. "
            "It was not made by this version of qualityscore, or it was tampered with.",
            type="model.untrusted_types",
        )
    try:
        payload = sio.load(p, trusted=sorted(untrusted))
        metadata = json.loads(payload["metadata_json"])
        resources = json.loads(payload["spin_resources_json"])
        model = payload["model"]
        health_stats = _stats_from_disk(payload.get("health_stats"))
        spin_tagger = payload.get("spin_tagger")
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"{p} could not be loaded ({type(exc).__name__}: {exc}). Retrain or re-download it.",
            type="model.corrupt",
        ) from exc
    bundle = Bundle(model=model, metadata=metadata, spin_resources=resources,
                    health_stats=health_stats, spin_tagger=spin_tagger)
    check_compatible(bundle, p)
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


def check_compatible(bundle: Bundle, path: Path) -> None:
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
    import sklearn

    trained = str(meta.get("versions", {}).get("scikit-learn", ""))
    if trained.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        warnings.warn(
            f"{path} was trained with scikit-learn {trained}; this is {sklearn.__version__}. "
            "Predictions may differ; retrain to be sure.",
            RuntimeWarning,
            stacklevel=3,
        )
