"""Run one controller process: its HTTP API on a local port, its loop and policy worker as threads."""

from __future__ import annotations

import logging

import uvicorn

from robot.controller.app import create_app
from robot.controller.config import ControllerConfig
from robot.controller.service import Controller

MAX_HEADER_BYTES = 64 * 1024  # request line and headers together; a larger request is refused unread


def serve(config: ControllerConfig) -> None:
    """Block serving `config.host:config.port` until SIGINT/SIGTERM; the controller stops with the server.

    The h11 parser is chosen for its bound on an incomplete request (httptools reads any header size).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(Controller.from_environment(config))
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", access_log=False,
                http="h11", h11_max_incomplete_event_size=MAX_HEADER_BYTES)
