"""Command-line interface: thin commands over `layerwise.library`. Heavy modules load inside commands."""
