"""BibTeX (proceedings exports, Google Scholar, Zotero, awesome-lists) through bibtexparser v2."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from layerwise.capture import files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.records import Item, Skip

# LaTeX decoding takes time quadratic in a field's length (pylatexenc); no real title, abstract or author list
# comes near this, so a longer field is a broken or hostile entry, skipped by name.
MAX_FIELD = 100_000
MAX_FILE = 128 * 2**20  # a bibliography of a million entries is under this

_KINDS = {"book": "book", "inbook": "book", "incollection": "book", "booklet": "book", "manual": "book",
          "online": "post", "electronic": "post", "www": "post", "video": "video", "software": "repo"}


def read(text: str, where: str, source: str) -> Iterator[Item | Skip]:
    import bibtexparser
    from bibtexparser import middlewares

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # failures are reported as skips instead
    library = bibtexparser.parse_string(text)  # splitting is linear; string macros resolved, braces removed
    for block in library.failed_blocks:
        line = getattr(block, "start_line", None)
        reason = "duplicate citation key" if type(block).__name__ == "DuplicateBlockKeyBlock" else "not valid BibTeX"
        yield Skip(f"{where}:{line + 1}" if line is not None else where, reason)
    for entry in list(library.entries):
        longest = max(entry.fields, key=lambda f: len(str(f.value)), default=None)
        if longest is not None and len(str(longest.value)) > MAX_FIELD:
            library.remove(entry)
            yield Skip(f"{where}:{(entry.start_line or 0) + 1} ({entry.key})",
                       f"its {longest.key} has {len(str(longest.value)):,} characters, over the {MAX_FIELD:,} a field may have")
    for middleware in (middlewares.LatexDecodingMiddleware(decoder=_decoder()), middlewares.SeparateCoAuthors(),
                       middlewares.SplitNameParts()):
        library = middleware.transform(library)
    for entry in library.entries:
        fields = {k.lower(): f.value for k, f in entry.fields_dict.items()}
        title = _plain(fields.get("title"))
        if not title:
            yield Skip(f"{where}:{(entry.start_line or 0) + 1} ({entry.key})", "entry has no title")
            continue
        item = Item(
            title=title,
            kind=_KINDS.get(entry.entry_type.lower(), "paper"),
            abstract=_plain(fields.get("abstract")),
            authors=[_name(n) for n in fields.get("author", []) if not isinstance(n, str)] or
                    [str(n) for n in fields.get("author", []) if isinstance(n, str)],
            year=_year(fields.get("year")),
            venue=_plain(fields.get("journal") or fields.get("booktitle") or fields.get("publisher")),
            url=_first_url(fields.get("url") or fields.get("howpublished")),
            doi=fields.get("doi"),
            arxiv_id=fields.get("eprint") if str(fields.get("archiveprefix", "arxiv")).lower() == "arxiv" else None,
            tags=[t for t in re.split(r"[;,]", str(fields.get("keywords", ""))) if t.strip()],
            extra={"bibtex_type": entry.entry_type.lower()},
        )
        if item.year:
            item.published = str(item.year)
        item.add_ref(source, entry.key)
        yield item


# What LaTeX decoding can change; a value with none of it is already plain text.
_LATEX = re.compile(r"[\\$~{}]|--|``|''")


def _decoder() -> Any:
    """The decoder bibtexparser uses by default (URLs kept bare, math verbatim), skipping values with no LaTeX
    in them: pylatexenc walks every character, and decoding plain abstracts was 95% of reading a .bib."""
    from pylatexenc import latex2text
    from pylatexenc.latex2text import MacroTextSpec

    class QuickDecoder(latex2text.LatexNodes2Text):
        def latex_to_text(self, latex: str, **options: Any) -> str:
            return str(super().latex_to_text(latex, **options)) if _LATEX.search(latex) else latex

    context = latex2text.get_default_latex_context_db()
    # \textasciicircum is the ASCII `^` (pylatexenc gives U+02C6, so `C\${\textasciicircum}3\$AI` from a
    # publisher's BibTeX would not match arXiv's `C$^3$AI`)
    context.add_context_category("layerwise-bibtex", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s"),
                                                                          MacroTextSpec("textasciicircum", simplify_repl="^")])
    return QuickDecoder(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


def _name(parts: object) -> str:
    first = " ".join(getattr(parts, "first", []))
    last = " ".join([*getattr(parts, "von", []), *getattr(parts, "last", [])])
    jr = " ".join(getattr(parts, "jr", []))
    return " ".join(p for p in (first, last, jr) if p)


_OUTSIDE_MATH_BRACE = re.compile(r"(\$[^$]*\$)|[{}]")


def _plain(value: object) -> str | None:
    if not value:
        return None
    # braces left after decoding are LaTeX's grouping, except inside math, which is kept verbatim
    text = _OUTSIDE_MATH_BRACE.sub(lambda m: m.group(1) or "", str(value))
    return " ".join(text.split()) or None


def _year(value: object) -> int | None:
    match = re.search(r"\d{4}", str(value or ""))
    return int(match.group()) if match else None


def _first_url(value: object) -> str | None:
    match = re.search(r"https?://[^\s{}\\]+", str(value or ""))
    return match.group() if match else None


# Titles keep the LaTeX they came with (arXiv's `$\\mathcal{O}(n)$`, `--`, `~`), so only what would lose text
# is escaped: a bare `%` starts a comment that ends the field at `100`, `&` and `#` are errors, and braces that
# do not balance break the whole entry
_BARE = re.compile(r"(?<!\\)([%&#])")
_BRACE = re.compile(r"(?<!\\)([{}])")


def _latex(text: str) -> str:
    text = _BARE.sub(r"\\\1", text)
    depth = 0
    for brace in _BRACE.findall(text):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            break
    return _BRACE.sub(r"\\\1", text) if depth else text


def write(items: list[Item]) -> str:
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    used: set[str] = set()
    for item in items:
        fields = [Field("title", "{" + _latex(item.title) + "}")]
        if item.authors:
            fields.append(Field("author", " and ".join(map(_latex, item.authors))))
        for name, value in (("year", item.year), ("journal" if item.kind == "paper" else "publisher", item.venue),
                            ("abstract", item.abstract)):
            if value:
                fields.append(Field(name, _latex(str(value))))
        for name, value in (("doi", item.doi), ("url", item.url)):  # read verbatim by LaTeX's url package
            if value:
                fields.append(Field(name, value))
        if item.arxiv_id:
            fields += [Field("eprint", item.arxiv_id), Field("archivePrefix", "arXiv")]
        if item.tags:
            fields.append(Field("keywords", _latex(", ".join(item.tags))))
        library.add(Entry(_entry_type(item), _key(item, used), fields))
    return bibtexparser.write_string(library)


def _entry_type(item: Item) -> str:
    kind = item.extra.get("bibtex_type")
    if kind:
        return str(kind)
    return {"book": "book", "paper": "article" if item.venue else "misc"}.get(item.kind, "misc")


def _key(item: Item, used: set[str]) -> str:
    """Reuse the key the item was imported with, else author-year-word, unique within the file."""
    for source, ref in item.refs:
        if source not in ("arxiv", "doi") and re.fullmatch(r"[\w:.\-/+]+", ref) and ref not in used:
            used.add(ref)
            return ref
    last = re.sub(r"\W", "", (item.authors[0].split()[-1] if item.authors else "anon")).lower()
    word = next((w for w in re.findall(r"[a-z]{4,}", item.title.lower())), "item")
    base = f"{last}{item.year or ''}{word}"
    key, n = base, 1
    while key in used:
        n += 1
        key = f"{base}{n}"
    used.add(key)
    return key


def _detect(head: Head) -> bool:
    # an @entry{ line; a Markdown file may quote BibTeX and is still a reading list
    return bool(re.search(r"^\s*@\s*\w+\s*[{(]", head.text, re.MULTILINE)) and not head.name.endswith((".md", ".markdown"))


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "bibtex")
    return ParsedFile(read(files.read_text(path, MAX_FILE), str(path), src), format="bibtex", source=src, curated=True)


READER = Reader("bibtex", ('.bib', '.bibtex'), _detect, _load)
