"""Capture: turn whatever the user brings into items. One module per source or format; file formats follow
the importer contract (`contract.py`) and are found through `formats.py`; `targets.py` resolves what
`layerwise add` is given."""
