"""The project's definitions with `segments` at a new code version: the code a changed algorithm would
ship, served by the code server that `vitra reprocess --stale` launches its runs in."""

import warnings

import vitra_assets.definitions as project  # the module, not its Definitions: one Definitions at module scope
from vitra_assets.segments import segments
from vitra_core.segments.stage import CODE_VERSION

BUMPED = f"{CODE_VERSION}-bumped"

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Definitions.map_asset_specs is a preview API
    defs = project.defs.map_asset_specs(
        func=lambda spec: spec.replace_attributes(code_version=BUMPED) if spec.key == segments.key else spec
    )
