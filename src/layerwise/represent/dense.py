"""Dense text embeddings from a static model that runs offline on a laptop CPU.

The default is a model2vec model distilled once from all-MiniLM-L6-v2 (see scripts/distill_model.py and
data/minilm-static-256/LICENSE): a token lookup and a mean, ~2,400 abstracts/s on 2 cores. A user can point
`embedding_model` in config.toml at another model2vec folder, or at a sentence-transformers model folder
(if that package is installed) to trade speed for quality.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from layerwise.errors import LayerwiseError

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "data" / "minilm-static-256"


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


class StaticEncoder:
    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never wait on a hub
        from model2vec import StaticModel

        self.name = f"model2vec:{path.name}"
        self.model = StaticModel.from_pretrained(str(path))

    def encode(self, texts: list[str]) -> np.ndarray:
        return in_batches(lambda batch: self.model.encode(batch, batch_size=1024), texts)


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
