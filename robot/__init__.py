"""Robot side of VITRA-Ops: hand controller service, drivers, safety and policy deployment."""
