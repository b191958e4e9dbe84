"""`python -m vitra_core.training ...` (also under `torchrun --nproc_per_node N -m vitra_core.training ...`)."""

from vitra_core.training.cli import main

if __name__ == "__main__":
    main()
