"""The hand controller service: a fixed-rate, safety-filtered control loop over a `HandDriver`, a policy
worker, signed-bundle deploy/rollback, and an HTTP API (`vitra controller serve`). Design: docs/controller.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "config": ["ControllerConfig", "load_controller_config"],
    "service": ["Controller"],
})
