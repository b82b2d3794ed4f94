"""Reading user files safely: size limits, gzip, encodings, clear errors naming the file."""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from layerwise.errors import LayerwiseError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

# Whole-file formats (BibTeX, CSL-JSON, RIS, OPML, Markdown) are parsed in memory; JSONL streams.
MAX_WHOLE_FILE = 512 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def check_file(path: Path) -> None:
    if not path.exists():
        raise LayerwiseError("no such file", where=str(path))
    if path.is_dir():
        raise LayerwiseError("is a folder, not a file", where=str(path))


def head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of the file's content (decompressed if gzipped), for format detection."""
    check_file(path)
    try:
        with open(path, "rb") as raw:
            start = raw.read(2)
            raw.seek(0)
            if start == GZIP_MAGIC:
                # what decompresses before any damage: a truncated file is still recognised by its start
                # (reading it then says where it breaks)
                data = b""
                with gzip.open(raw) as gz:
                    try:
                        while len(data) < size and (chunk := gz.read(min(8192, size - len(data)))):
                            data += chunk
                    except (EOFError, OSError, zlib.error):
                        pass
                return data
            return raw.read(size)
    except PermissionError:
        raise LayerwiseError("permission denied", where=str(path)) from None


def read_bytes(path: Path, limit: int = MAX_WHOLE_FILE) -> bytes:
    """The whole file (decompressed if gzipped), refused past `limit`: each format sets the size it is read in."""
    check_file(path)
    size = path.stat().st_size
    if size > limit:
        shown = f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{size / 2**20:.0f} MB"
        raise LayerwiseError(f"file is {shown}, over the {limit // 2**20} MB this format is read in; "
                             "split it into smaller files (records in bulk import best as JSONL, which streams)",
                             where=str(path))
    with open(path, "rb") as raw:
        data = raw.read()
    if data[:2] == GZIP_MAGIC:
        try:
            out = io.BytesIO()
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                while chunk := gz.read(1 << 20):
                    out.write(chunk)
                    if out.tell() > limit:
                        raise LayerwiseError(f"decompresses to more than {limit // 2**20} MB", where=str(path))
            data = out.getvalue()
        except (EOFError, OSError, zlib.error) as exc:
            raise LayerwiseError(f"damaged or truncated gzip data ({exc}); nothing from this file was imported",
                                 where=str(path)) from None
    return data


def decode(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM), else the most likely legacy encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")  # the byte-order mark decides; a cut last byte is replaced
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise LayerwiseError("binary data, not a text file", where=where)
    # Bibliographies that are not UTF-8 are nearly always Windows-1252/Latin-1; guessing on short files
    # picks exotic code pages, so try that first and ask charset-normalizer only when it cannot apply.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1 << 20]).best()
    try:
        return data.decode(best.encoding if best else "latin-1")
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")


def xml_root(data: bytes) -> Element:
    """XML parsed with defusedxml. Expat reads UTF-8, UTF-16 and one-byte encodings; a document declared in
    another (Shift_JIS, EUC-JP, GB18030) is decoded by Python first. An encoding neither knows is a ParseError,
    as a syntax error is."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        return ElementTree.fromstring(data)
    except DefusedXmlException:
        raise
    except (LookupError, ValueError) as exc:  # "unknown encoding", "multi-byte encodings are not supported"
        declared = _XML_ENCODING.match(data)
        try:
            text = data.decode(declared.group(1).decode("ascii")) if declared else None
        except (LookupError, UnicodeError):
            text = None
        if text is None:
            raise ElementTree.ParseError(f"an encoding it cannot be read in ({exc})") from None
        return ElementTree.fromstring(text)


def read_text(path: Path, limit: int = MAX_WHOLE_FILE) -> str:
    return decode(read_bytes(path, limit), str(path))


MAX_LINE = 16 * 1024 * 1024


def iter_lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of a possibly gzipped text file, streamed; text is None for a line over 16 MB
    (skipped without reading it into memory). A damaged gzip stream raises LayerwiseError after the good
    lines have been yielded."""
    check_file(path)
    with open(path, "rb") as raw:
        gz = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if gz else raw
        lineno = 0
        try:
            while True:
                line = stream.readline(MAX_LINE + 1)
                if not line:
                    return
                lineno += 1
                if lineno == 1 and b"\x00" in line[:4096]:
                    raise LayerwiseError("binary data, not a text file", where=str(path))
                if len(line) > MAX_LINE and not line.endswith(b"\n"):
                    while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                        pass
                    yield lineno, None
                    continue
                try:
                    yield lineno, line.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError:
                    yield lineno, line.decode("cp1252", errors="replace")
        except (EOFError, OSError, zlib.error) as exc:
            raise LayerwiseError(f"damaged or truncated gzip data after line {lineno} ({exc}); nothing from this file was "
                                 "imported, the good lines before the damage included: repair or re-download the file "
                                 "(`zcat FILE > part.jsonl` keeps what can be read)", where=str(path)) from None
