"""Run one controller process: its HTTP API on a local port, its loop and policy worker as threads."""

from __future__ import annotations

import logging

import uvicorn

from robot.controller.app import create_app
from robot.controller.config import ControllerConfig
from robot.controller.service import Controller


def serve(config: ControllerConfig) -> None:
    """Block serving `config.host:config.port` until SIGINT/SIGTERM; the controller stops with the server."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(Controller.from_environment(config))
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", access_log=False)
