"""The local web app (`layerwise serve`): pages over the library core, nothing the CLI cannot reach."""
