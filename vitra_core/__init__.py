"""VITRA-Ops core library: pure functions and typed contracts for every pipeline stage.

Nothing in this package imports Dagster; orchestration lives in `vitra_assets`.
"""
