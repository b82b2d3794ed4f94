from layerwise.cli.main import run

run()
