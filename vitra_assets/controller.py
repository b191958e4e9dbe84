"""The hand controller as a Dagster resource: where it listens and the token that may deploy to it."""

import os

from dagster import ConfigurableResource
from pydantic import Field

from robot.controller.config import load_controller_config
from robot.deploy_client import DeployClient
from vitra_core.config import VitraConfig
from vitra_core.errors import ConfigError


def controller_url(cfg: VitraConfig) -> str:
    """deploy.url, else http://host:port of the controller's own config."""
    if cfg.deploy.url:
        return cfg.deploy.url
    controller = load_controller_config(cfg.resolve(cfg.deploy.controller_config))
    return f"http://{controller.host}:{controller.port}"


class ControllerResource(ConfigurableResource):
    """A client of the running controller; the token is read from the environment at use, never stored."""

    url: str = Field(description="http://host:port of `vitra controller serve`")
    token_env: str = Field("VITRA_CONTROLLER_TOKEN", description="environment variable holding the deploy token")

    def client(self) -> DeployClient:
        token = os.environ.get(self.token_env)
        if not token:
            raise ConfigError(f"environment variable {self.token_env} is not set: the controller needs its deploy token")
        return DeployClient(self.url, token)
