"""Errors raised by shgeo.

Every error names what it was working on (file, layer, feature, key) and,
where there is one, the fix.  Each class also derives from the builtin that a
caller would expect (``OSError`` for unreadable files, ``ValueError`` for bad
values), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ShgeoError",
    "ManifestError",
    "LayerError",
    "LayerCheckError",
    "CRSError",
    "ExtentError",
    "FootprintError",
    "InputFormatError",
    "UnsupportedFileError",
    "LocalGridError",
    "QueryError",
    "RuleConflictError",
    "OutputFolderError",
    "UnknownKindError",
    "option",
]


class ShgeoError(Exception):
    """Base class of every error shgeo raises on purpose."""


def _where(path: str | Path | None, layer: str | None = None, feature: object = None, line: int | None = None,
           feature_kind: str = "feature") -> str:
    parts = []
    if path is not None:
        parts.append(str(path))
    if line is not None:
        parts.append(f"line {line}")
    if layer:
        parts.append(f"layer {layer!r}")
    if feature is not None:
        parts.append(f"{feature_kind} {feature!r}")
    return ": ".join([", ".join(parts)]) if parts else ""


class _Located(ShgeoError):
    """An error tied to a file, and optionally a line, layer and feature in it.

    ``line`` is the 1-based line of a text file (or row of a spreadsheet);
    ``feature_kind`` names what ``feature`` is (``"parcel"``, ``"entity"``,
    ``"row"``; default ``"feature"``).
    """

    line: int | None = None
    feature_kind: str = "feature"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        layer: str | None = None,
        feature: object = None,
        hint: str | None = None,
        line: int | None = None,
        feature_kind: str = "feature",
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.layer = layer
        self.feature = feature
        self.hint = hint
        self.reason = message
        self.line = line
        self.feature_kind = feature_kind
        where = _where(path, layer, feature, line, feature_kind)
        text = f"{where}: {message}" if where else message
        if hint:
            text = f"{text} — {hint}"
        # text quoted from a broken file may hold lone surrogates (undecodable bytes): they cannot be printed
        super().__init__(text.encode("utf-8", "backslashreplace").decode("utf-8"))


class ManifestError(_Located, ValueError):
    """A layer manifest is malformed: unknown key or kind, missing field, bad value."""

    def __init__(self, message: str, *, path: str | Path | None = None, key: str | None = None,
                 hint: str | None = None) -> None:
        self.key = key
        if key:
            message = f"[{key}] {message}"
        super().__init__(message, path=path, hint=hint)


class LayerError(_Located, OSError):
    """A regulatory layer could not be loaded or failed a check.

    A layer that fails is never treated as absent: screening against a
    missing layer would report a false "clear".
    """

    def __init__(self, message: str, *, path: str | Path | None = None, layer: str | None = None,
                 kind: str | None = None, feature: object = None, hint: str | None = None) -> None:
        self.kind = kind
        if kind:
            message = f"({kind}) {message}"
        super().__init__(message, path=path, layer=layer, feature=feature, hint=hint)


class LayerCheckError(LayerError):
    """One or more layers of a library failed their checks: every problem of every layer, at once.

    ``problems`` holds one line per problem (file, layer, kind, what, fix).
    """

    def __init__(self, problems: list[str | LayerError], *, path: str | Path | None = None) -> None:
        self.problems = [str(p) for p in problems]
        if len(self.problems) == 1:
            text = self.problems[0]
        else:
            where = f" ({path})" if path is not None else ""
            text = (f"{len(self.problems)} problems in the layers{where}:\n"
                    + "\n".join(f"  {i}. {p}" for i, p in enumerate(self.problems, 1)))
        ShgeoError.__init__(self, text)
        self.path = Path(path) if path is not None else None
        self.layer = self.feature = self.hint = self.kind = None
        self.reason = text
        if len(problems) == 1 and isinstance(problems[0], LayerError):  # one problem: its file, layer, kind
            only = problems[0]
            self.path, self.layer, self.feature, self.hint, self.kind = (only.path, only.layer, only.feature,
                                                                         only.hint, only.kind)
            self.reason = only.reason


class CRSError(_Located, ValueError):
    """A coordinate reference system is missing, unknown or not allowed."""


class ExtentError(CRSError):
    """Coordinates fall outside Shanghai after transformation (swapped axes, wrong zone …)."""


class UnknownKindError(ShgeoError, KeyError):
    """A layer kind was asked for that the library does not hold (or that does not exist)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FootprintError(_Located, ValueError):
    """A project footprint cannot be screened (unreadable, empty geometry, bad type …)."""


class InputFormatError(FootprintError):
    """A footprint file breaks the rules of its format: a malformed line, an unclosed ring, a bad count …

    The message names the file, the line and the parcel, entity or row.
    """


class UnsupportedFileError(FootprintError):
    """A file type shgeo cannot read (DWG, .xls …); the hint says what to save it as."""


class LocalGridError(CRSError):
    """Coordinates are in a local (city) grid, not a national Gauss-Krüger system: never screened as if they were."""


def option(name: str, value: object = None) -> str:
    """How to set option *name* (its Python keyword), for hints: both the command-line and the Python form.

    ``option("encoding", "GBK")`` is ``"--encoding GBK (encoding='GBK' in Python)"``.
    """
    flag = "--" + name.replace("_", "-")
    if value is None:
        return f"{flag} ({name}= in Python)"
    return f"{flag} {value} ({name}={value!r} in Python)"


class QueryError(ShgeoError, ValueError):
    """A decision-interface query is malformed: unknown key, wrong type, bad value."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class OutputFolderError(ShgeoError, OSError):
    """An output folder shgeo must not write into: not its own, or in use by another run."""


class RuleConflictError(ShgeoError, RuntimeError):
    """Two rules fired for the same facts where the regulation gives one answer.

    This is a bug in shgeo's rules, never the user's fault; it is raised rather
    than picking one of the answers.
    """
