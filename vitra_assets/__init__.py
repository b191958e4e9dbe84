"""Dagster definitions for VITRA-Ops: thin assets, sensors and checks over `vitra_core`."""
