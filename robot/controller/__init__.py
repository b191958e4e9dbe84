"""The hand controller service: a fixed-rate, safety-filtered control loop over a `HandDriver`, a policy
worker, signed-bundle deploy/rollback, and an HTTP API (`vitra controller serve`). Design: docs/controller.md.
"""

from robot.controller.config import ControllerConfig, load_controller_config
from robot.controller.service import Controller

__all__ = ["Controller", "ControllerConfig", "load_controller_config"]
