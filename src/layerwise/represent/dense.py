"""Dense text embeddings from a static model that runs offline on a laptop CPU.

The default is a model2vec model distilled once from all-MiniLM-L6-v2 (see scripts/distill_model.py and
data/minilm-static-256/LICENSE): a token lookup and a mean, computed here a distinct word at a time (~12,000
abstracts/s on one core; model2vec's own encode does ~2,600/s on two). A user can point
`embedding_model` in config.toml at another model2vec folder, or at a sentence-transformers model folder
(if that package is installed) to trade speed for quality.
"""

from __future__ import annotations

import os
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from layerwise.errors import LayerwiseError

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "data" / "minilm-static-256"
KNOWN_WORDS = 100_000  # words whose tokens are remembered between batches (about 30 MB at most)
SPARSE_FROM = 64  # texts summed as one sparse product from this many on


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


class StaticEncoder:
    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never wait on a hub
        from model2vec import StaticModel

        self.name = f"model2vec:{path.name}"
        self.model = StaticModel.from_pretrained(str(path))
        self.limit: int = self.model.max_length or 0  # the tokens of a text the model reads (0: all)
        self.vectors: np.ndarray | None = None  # the token vectors, when a text can be embedded by words
        if (type(self.model.tokenizer.pre_tokenizer).__name__ == "BertPreTokenizer"
                and getattr(self.model, "weights", None) is None and getattr(self.model, "token_mapping", None) is None):
            self.vectors = np.asarray(self.model.embedding, dtype=np.float32)
        # words that differ only in case are one word for a tokenizer that lowercases: tokenized once
        self.lower = bool(getattr(self.model.tokenizer.normalizer, "lowercase", False))
        self.known: dict[str, list[int]] = {}  # the tokens of words met before: a corpus repeats its words

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.vectors is None:  # a tokenizer that does not split at words first: the model's own encode
            return in_batches(lambda batch: self.model.encode(batch, batch_size=1024), texts)
        return in_batches(self._by_words, texts)

    def _by_words(self, texts: list[str]) -> np.ndarray:
        """The sum of each text's token vectors (the direction of model2vec's mean; `in_batches` normalises),
        each distinct word tokenized once (and remembered for the next batches), where the model tokenizes every
        occurrence: the same vectors but for float rounding (a test compares them), 6x faster."""
        numbered: defaultdict[str, int] = defaultdict()
        numbered.default_factory = numbered.__len__  # a new word gets the next number
        columns, starts = array("i"), array("q", [0])
        cut = self.limit * self.model.median_token_length or None  # the characters model2vec reads
        split = _bert_words().findall
        for text in texts:
            columns.extend(map(numbered.__getitem__, split(text[:cut].lower() if self.lower else text[:cut])))
            starts.append(len(columns))
        pieces = self._pieces(list(numbered))
        lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        words = self._sums(pieces, lengths)
        occurrences, bounds = np.frombuffer(columns, dtype=np.int32), np.frombuffer(starts, dtype=np.int64)
        out = _text_sums(words, occurrences, bounds)
        if self.limit:
            self._past_limit(out, occurrences, bounds, pieces, lengths, words)
        return out

    def _past_limit(self, out: np.ndarray, occurrences: np.ndarray, bounds: np.ndarray, pieces: list[list[int]],
                    lengths: np.ndarray, words: np.ndarray) -> None:
        """Takes off each text's tokens past the model's limit (model2vec truncates at 512)."""
        assert self.vectors is not None
        before = np.concatenate(([0], np.cumsum(lengths[occurrences])))  # the tokens before each occurrence
        for n in np.flatnonzero(before[bounds[1:]] - before[bounds[:-1]] > self.limit).tolist():
            these = occurrences[bounds[n]:bounds[n + 1]]
            reached = before[bounds[n] + 1:bounds[n + 1] + 1] - before[bounds[n]]  # tokens up to each word's end
            last = int(np.searchsorted(reached, self.limit))  # the word holding the last token read
            out[n] -= words[these[last + 1:]].sum(axis=0)
            if over := int(reached[last]) - self.limit:  # and that word's own tokens past it
                out[n] -= self.vectors[pieces[these[last]][-over:]].sum(axis=0)

    def _pieces(self, words: list[str]) -> list[list[int]]:
        """Each word's tokens, without the unknown token (model2vec drops it), tokenizing only the words not met
        before. The memory is bounded: past KNOWN_WORDS it starts again (a new dict, so a thread reading the
        old one is unharmed)."""
        known = self.known if len(self.known) < KNOWN_WORDS else {}
        self.known = known
        if new := [word for word in words if word not in known]:
            unknown = self.model.unk_token_id
            known.update(zip(new, ([i for i in found.ids if i != unknown]
                                   for found in self.model.tokenizer.encode_batch_fast(new, add_special_tokens=False))))
        return [known[word] for word in words]

    def _sums(self, pieces: list[list[int]], lengths: np.ndarray) -> np.ndarray:
        """Each word's token vectors summed, the words of as many tokens at once."""
        assert self.vectors is not None
        out = np.zeros((len(pieces), self.vectors.shape[1]), dtype=np.float32)
        for length in np.unique(lengths[lengths > 0]).tolist():
            same = np.flatnonzero(lengths == length)
            out[same] = self.vectors[np.array([pieces[i] for i in same.tolist()])].sum(axis=1)
        return out


def _text_sums(words: np.ndarray, occurrences: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Each text's word vectors summed (`occurrences[bounds[n]:bounds[n + 1]]`: text n's words): a batch as one
    sparse product, twice as fast as a row at a time; a few texts a row at a time, which needs no scipy (0.1 s
    of a command's start)."""
    if len(bounds) > SPARSE_FROM:
        from scipy import sparse

        ones = np.ones(len(occurrences), dtype=np.float32)
        texts = sparse.csr_matrix((ones, occurrences, bounds), shape=(len(bounds) - 1, len(words)))
        return np.asarray(texts @ words, dtype=np.float32)
    out = np.zeros((len(bounds) - 1, words.shape[1]), dtype=np.float32)
    for n in np.flatnonzero(bounds[1:] > bounds[:-1]).tolist():
        out[n] = words[occurrences[bounds[n]:bounds[n + 1]]].sum(axis=0)
    return out


@lru_cache(maxsize=1)
def _bert_words() -> re.Pattern[str]:
    """Where a BERT tokenizer splits a text before its word pieces: at white space, around each punctuation
    mark (ASCII symbols and Unicode's P categories, looked up in the first plane: 10 ms) and around each CJK
    ideograph."""
    marks = [(n, n) for n in range(0x10000)
             if unicodedata.category(chr(n)).startswith("P") or (33 <= n <= 126 and not chr(n).isalnum())]
    marks += [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F)]
    single = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in marks)
    return re.compile(f"[{single}]|[^\\s{single}]+")


class SentenceTransformerEncoder:
    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ModuleNotFoundError:
            raise LayerwiseError("this embedding model needs the sentence-transformers package", where=str(path)) from None
        self.name = f"st:{path.name}"
        self.model = SentenceTransformer(str(path), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        return in_batches(lambda batch: self.model.encode(batch, batch_size=64), texts)


BATCH = 8192  # texts per call of the model


def in_batches(encode: Callable[[list[str]], Any], texts: list[str], done: Callable[[int], None] | None = None,
               size: int = BATCH) -> np.ndarray:
    """Embeddings of `texts`, a batch at a time into one float32 array, each row L2-normalised in place: the
    peak is the result and one batch, where encoding all at once held the result three times over (a gigabyte
    each at a million items). `done` hears how many texts are embedded so far."""
    out: np.ndarray | None = None
    for start in range(0, len(texts), size):
        part = np.asarray(encode(texts[start:start + size]), dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), part.shape[1]), dtype=np.float32)
        rows = out[start:start + len(part)]
        rows[:] = part
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
        if done is not None:
            done(start + len(part))
    if out is None:  # no texts: none of the model's width
        return np.zeros((0, np.asarray(encode([""])).shape[1]), dtype=np.float32)
    return out


@lru_cache(maxsize=2)  # one load per process: a plan and its refills share the model
def load_encoder(path: str | Path | None = None) -> Encoder:
    """The configured model by local path (never a hub name: layerwise does not download at run time)."""
    folder = Path(path).expanduser() if path else DEFAULT_MODEL
    if not folder.is_dir():
        raise LayerwiseError("embedding_model must be a local model folder", where=str(folder))
    if (folder / "modules.json").exists() and (folder / "config_sentence_transformers.json").exists():
        return SentenceTransformerEncoder(folder)
    try:
        return StaticEncoder(folder)
    except Exception as exc:  # model2vec raises several kinds for a folder that is not its format
        raise LayerwiseError(f"not a model2vec model folder ({type(exc).__name__}: {exc})", where=str(folder)) from None


def encoder_for(config: dict[str, Any]) -> Encoder:
    return load_encoder(config.get("embedding_model"))
