"""The bundled sample library: real arXiv records (metadata is CC0 per arXiv), shipped in the package."""

from pathlib import Path

SAMPLE_PATH = Path(__file__).parent / "data" / "sample-arxiv.jsonl.gz"
