from layerwise.cli.main import main

main()
