"""Numbers a page takes from its address, bounded to what the database holds: past them is the app's 400 for
a malformed request, never an overflow inside a query."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from layerwise.vocab import LARGEST_COUNT, LARGEST_ID

RowId = Annotated[int, Path(ge=1, le=LARGEST_ID)]  # a study session's or a card's id
Position = Annotated[int, Path(ge=1, le=LARGEST_COUNT)]  # a pick's place in its week
Offset = Annotated[int, Query(ge=0, le=LARGEST_COUNT)]
