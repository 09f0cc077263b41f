"""Text encodings of input files: UTF-8 or GBK/GB18030, told apart by the bytes themselves.

Files made on Chinese Windows are GBK (or its superset GB18030) more often
than not, and say so nowhere: no BOM, no ``.cpg``, a DBF language driver of
0.  Chinese text in GBK is practically never valid UTF-8 (UTF-8's
continuation-byte rules reject it), while ASCII is the same in both, so
strict UTF-8 is tried first and GB18030 after it.  A single-byte Western
code page (ISO-8859-1, cp1252) decodes any bytes at all, so it is never
evidence against GBK.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ..errors import InputFormatError, option

__all__ = ["decode_text", "decode_cut", "split_lines", "detect_encoding", "encoding_label", "codec_name",
           "is_single_byte", "has_cjk", "GBK_LABEL"]

#: How the reports name text decoded as GB18030 (the superset shgeo decodes with).
GBK_LABEL: Final = "GBK"

_BOMS: Final = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_NEWLINE: Final = re.compile(r"\r\n|\r|\n")
_CJK: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def codec_name(name: str | None) -> str | None:
    """Python's canonical name of an encoding label (``"GBK"`` → ``"gbk"``, ``"CP936"`` → ``"gbk"``), or None."""
    if not name:
        return None
    label = name.strip().split()[0] if name.strip() else ""
    if label.isdigit():  # a .cpg may hold a bare Windows code page number: 936, 65001
        label = {"65001": "utf-8"}.get(label, f"cp{label}")
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def is_single_byte(name: str | None) -> bool:
    """True for code pages that decode any byte string (ISO-8859-x, cp125x, ASCII …): no evidence either way."""
    codec = codec_name(name)
    if codec is None:
        return True
    return codec.startswith(("iso8859", "cp125", "latin", "ascii", "mac-", "cp437", "cp850"))


def has_cjk(text: str) -> bool:
    """True if *text* holds Chinese characters."""
    return bool(_CJK.search(text))


def _decode(data: bytes, codec: str, cut_ok: bool) -> str | None:
    """*data* decoded, or None if it is not valid; with *cut_ok* an incomplete last character is dropped."""
    try:
        if cut_ok:
            return codecs.getincrementaldecoder(codec)().decode(data, final=False)
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_cut(data: bytes, encoding: str) -> str:
    """Decode text cut to a byte width (DBF field names and values): an incomplete last character is dropped."""
    return codecs.getincrementaldecoder(codec_name(encoding) or encoding)(errors="replace").decode(data, final=False)


def detect_encoding(data: bytes | Sequence[bytes], declared: str | None = None, *,
                    cut_ok: bool | Sequence[bool] = False) -> str | None:
    """The encoding *data* (text bytes without a BOM, or several pieces of text) is in, or ``None``.

    The first of a multi-byte *declared* encoding (UTF-8, GBK …), strict
    UTF-8 and GB18030 that decodes every piece cleanly into Chinese text wins;
    else the declared one or UTF-8 if they decode cleanly; else a single-byte
    *declared* code page (which decodes anything).  So bytes valid in both
    UTF-8 and GB18030 (a short text such as 路, C2 B7, is also UTF-8 "·") are
    read as the one that gives Chinese.  Pure ASCII returns *declared* (or
    ``"utf-8"``).  *cut_ok* (for all pieces, or per piece): a piece may end in
    an incomplete character (text cut to a DBF field's byte width).
    """
    pieces = [data] if isinstance(data, bytes) else list(data)
    cuts = [cut_ok] * len(pieces) if isinstance(cut_ok, bool) else list(cut_ok)
    if all(piece.isascii() for piece in pieces):
        return declared or "utf-8"
    order = [c for c in (declared, "utf-8", "gb18030") if c and not is_single_byte(c)]
    texts: dict[str, list[str]] = {}
    for enc in dict.fromkeys(order):
        decoded = [_decode(piece, codec_name(enc) or enc, cut) for piece, cut in zip(pieces, cuts)]
        if all(t is not None for t in decoded):
            texts[enc] = decoded  # type: ignore[assignment]
    for enc, decoded in texts.items():  # the first reading that gives Chinese text
        if any(has_cjk(t) for t in decoded):
            return enc
    for enc in texts:  # else the declared one or UTF-8 (GB18030 without Chinese is no evidence)
        if enc != "gb18030":
            return enc
    if declared and is_single_byte(declared) and codec_name(declared):
        return declared
    return None


def encoding_label(codec: str, pieces: bytes | Sequence[bytes] = b"",
                   cut_ok: bool | Sequence[bool] = False) -> str:
    """How reports name an encoding: ``GBK`` (GB18030 text that GBK decodes, nearly all of it), ``GB18030``,
    ``UTF-8``, ``UTF-8 (BOM)``, ``UTF-16`` …; other code pages by Python's name."""
    name = codec_name(codec) or codec
    if name == "gb18030" or name == "gbk":
        return GBK_LABEL if detect_encoding(pieces, "gbk", cut_ok=cut_ok) == "gbk" else "GB18030"
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "utf-16": "UTF-16"}.get(name, name)


def decode_text(data: bytes, *, path: str | Path | None = None, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file: a BOM (UTF-8, UTF-16) wins, then *encoding* if given, else strict UTF-8, else GB18030.

    Returns ``(text, encoding label)`` (:func:`encoding_label`: ``"GBK"``, ``"UTF-8"`` …).  Bytes that fit none raise
    :class:`InputFormatError` naming the line of the first bad byte.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), encoding_label(enc)
            except UnicodeDecodeError as exc:
                raise _decode_error(data, exc, enc, path) from None
    if encoding:
        codec = codec_name(encoding)
        if codec is None:
            raise InputFormatError(f"unknown text encoding {encoding!r}", path=path,
                                   hint=f"give {option('encoding')} a codec name such as GBK, GB18030 or UTF-8")
        try:
            return data.decode(codec), encoding_label(codec, data)
        except UnicodeDecodeError as exc:
            raise _decode_error(data, exc, encoding, path, given=True) from None
    try:
        return data.decode("utf-8"), encoding_label("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), encoding_label("gb18030", data)
    except UnicodeDecodeError as exc:
        raise _decode_error(data, exc, "GBK/GB18030 or UTF-8", path) from None


def _decode_error(data: bytes, exc: UnicodeDecodeError, enc: str, path: str | Path | None,
                  given: bool = False) -> InputFormatError:
    line = data.count(b"\n", 0, exc.start) + 1
    hint = (f"the encoding given is wrong for this file: drop {option('encoding')} (shgeo tells UTF-8 from GBK "
            "by itself) or give the right one") if given else "save it as GBK or UTF-8 text"
    return InputFormatError(f"the file is not valid {enc} text (byte 0x{data[exc.start]:02x})", path=path,
                            line=line, hint=hint)


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only (not on the other characters ``str.splitlines`` knows)."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
