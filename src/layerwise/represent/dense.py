"""Dense text embeddings from a static model that runs offline on a laptop CPU.

The default is a model2vec model distilled once from all-MiniLM-L6-v2 (see scripts/distill_model.py and
data/minilm-static-256/LICENSE): a token lookup and a mean, ~2,400 abstracts/s on 2 cores. A user can point
`embedding_model` in config.toml at another model2vec folder, or at a sentence-transformers model folder
(if that package is installed) to trade speed for quality.
"""

from __future__ import annotations

import os
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
        return _normalise(np.asarray(self.model.encode(texts, batch_size=1024), dtype=np.float32))


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
        return _normalise(np.asarray(self.model.encode(texts, batch_size=64), dtype=np.float32))


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-9)


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
