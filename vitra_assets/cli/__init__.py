"""`vitra`: the command line of VITRA-Ops (ingest videos, run the demo, open the UI, show status).

One module per command group; importing them registers their commands on `main`.
"""

from robot.cli import bundle, controller
from vitra_assets.cli import data, evaluate, model, pipeline, status  # noqa: F401  (register their commands)
from vitra_assets.cli.app import main

main.add_command(controller)
main.add_command(bundle)

__all__ = ["main"]
