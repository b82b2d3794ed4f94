"""layerwise: a local-first learning system for ML engineers.

The library core lives in this package; the CLI (`layerwise.cli`) and any other interface only call it.
"""

__version__ = "0.1.0"
