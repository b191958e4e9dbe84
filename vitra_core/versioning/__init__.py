"""Data versioning (DVC) for the expensive and irreplaceable files."""
