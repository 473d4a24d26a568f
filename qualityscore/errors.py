"""Errors with stable type codes. The code goes into ``Result.error.type``."""

from __future__ import annotations


class QualityScoreError(Exception):
    """Base class: every error qualityscore raises on purpose carries a stable ``type``."""

    type = "error"

    def __init__(self, message: str, *, type: str | None = None) -> None:
        super().__init__(message)
        if type is not None:
            self.type = type

    @property
    def message(self) -> str:
        return str(self)


class InputError(QualityScoreError):
    """The input could not be read or decoded (missing file, binary, too large, ...)."""

    type = "input_error"


class FetchError(QualityScoreError):
    """A URL could not be fetched safely (timeout, refused address, bad content type, ...)."""

    type = "fetch_error"


class ModelError(QualityScoreError):
    """The model file is missing, corrupt, untrusted or built for another version."""

    type = "model_error"
