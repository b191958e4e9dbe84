"""The project configuration as a Dagster resource, so runs, sensors and tests share one source of truth."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from vitra_core.config import VitraConfig, load_config
from vitra_core.layout import DataLayout
from vitra_core.versioning.dvc_store import DvcStore, dvc_store_for


class VitraConfigResource(ConfigurableResource):
    """Loads `configs/<profile>.yaml` (plus environment overrides) for every run and sensor tick."""

    profile: str | None = Field(None, description="config profile; default: $VITRA_PROFILE or 'default'")
    config_dir: str | None = Field(None, description="folder of profile YAML files; default: ./configs")
    overrides: dict[str, str] = Field(default_factory=dict, description="dotted keys, e.g. paths.data_root")

    def load(self) -> VitraConfig:
        return load_config(self.profile, self.config_dir, self.overrides)

    def layout(self) -> DataLayout:
        return DataLayout(self.load().data_root)

    def dvc_store(self) -> DvcStore:
        return dvc_store_for(self.load())
