from vitra_assets.cli import main

main()
