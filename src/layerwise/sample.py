"""The bundled sample library: real arXiv records (metadata is CC0 per arXiv), shipped in the package, and the
demo that loads it into a home with two example focuses, so a new user sees a plan at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from layerwise.ingest import IngestReport
from layerwise.library import Library
from layerwise.rank import profile

SAMPLE_PATH = Path(__file__).parent / "data" / "sample-arxiv.jsonl.gz"
DEMO_FOCUSES = (("need", "retrieval-augmented generation and evaluating LLM applications in production"),
                ("want", "efficient inference: quantization and speculative decoding"))


def load_demo(library: Library, on_record: Callable[[int], None] | None = None) -> IngestReport:
    """Import the sample (records already there are recognised: nothing is duplicated) and give the library
    the example focuses if it has none."""
    report = library.import_file(str(SAMPLE_PATH), source="arxiv", on_record=on_record)
    if not profile.focuses(library):
        for track, text in DEMO_FOCUSES:
            profile.add_focus(library, track, text)
    return report
