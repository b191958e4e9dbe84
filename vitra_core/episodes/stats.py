"""Normalisation statistics: per-episode count/mean/std/min/max, merged exactly without touching data.

Merging uses the parallel-variance formula (Chan et al.): with n = sum n_i and mean = sum n_i m_i / n,
var = sum n_i (s_i^2 + (m_i - mean)^2) / n, std being the population std as LeRobot stores it.
Counts may be per dimension (observation.state counts each hand only on the frames it is present),
so every field is an array and the merge works elementwise; a dimension with no samples gets zeros.
"""

from __future__ import annotations

import numpy as np

STAT_KEYS = ("min", "max", "mean", "std", "count")
FeatureStats = dict[str, np.ndarray]  # keys STAT_KEYS, each an array of the feature's stat shape


def compute_stats(values: np.ndarray, weights: np.ndarray | None = None) -> FeatureStats:
    """Stats over axis 0 of `values` [N, ...]; `weights` [N, ...] 0/1 selects the samples per element
    (then `count` is per element, else it is [N])."""
    values = np.asarray(values, dtype=np.float64)
    if weights is None:
        stats = compute_stats(values, np.ones_like(values))
        stats["count"] = np.array([float(len(values))])  # one count per feature, as LeRobot stores it
        return stats
    weights = np.broadcast_to(weights, values.shape).astype(np.float64)
    count = weights.sum(axis=0)
    safe = np.maximum(count, 1)
    mean = (values * weights).sum(axis=0) / safe
    var = (((values - mean) ** 2) * weights).sum(axis=0) / safe
    selected = weights > 0
    lo = np.where(selected, values, np.inf).min(axis=0)
    hi = np.where(selected, values, -np.inf).max(axis=0)
    empty = count == 0
    return {
        "min": np.where(empty, 0.0, lo), "max": np.where(empty, 0.0, hi),
        "mean": np.where(empty, 0.0, mean), "std": np.where(empty, 0.0, np.sqrt(var)),
        "count": count,
    }


def merge_stats(parts: list[FeatureStats]) -> FeatureStats:
    """Exact stats of the union of the samples behind each part (order-independent up to rounding)."""
    if not parts:
        raise ValueError("merge_stats needs at least one part")
    count = np.stack([np.asarray(p["count"], dtype=np.float64) for p in parts])
    mean = np.stack([np.asarray(p["mean"], dtype=np.float64) for p in parts])
    std = np.stack([np.asarray(p["std"], dtype=np.float64) for p in parts])
    count = np.broadcast_to(count.reshape(count.shape + (1,) * (mean.ndim - count.ndim)), mean.shape)
    total = count.sum(axis=0)
    safe = np.maximum(total, 1)
    total_mean = (count * mean).sum(axis=0) / safe
    var = (count * (std**2 + (mean - total_mean) ** 2)).sum(axis=0) / safe
    has = count > 0
    lo = np.where(has, np.stack([p["min"] for p in parts]), np.inf).min(axis=0)
    hi = np.where(has, np.stack([p["max"] for p in parts]), -np.inf).max(axis=0)
    empty = total == 0
    merged_count = np.stack([np.asarray(p["count"], dtype=np.float64) for p in parts]).sum(axis=0)
    return {
        "min": np.where(empty, 0.0, lo), "max": np.where(empty, 0.0, hi),
        "mean": np.where(empty, 0.0, total_mean), "std": np.where(empty, 0.0, np.sqrt(var)),
        "count": merged_count,
    }


def merge_dataset_stats(episodes: list[dict[str, FeatureStats]]) -> dict[str, FeatureStats]:
    """Merge per-episode stats of every feature (features missing from an episode are skipped there)."""
    keys = sorted({key for episode in episodes for key in episode})
    return {key: merge_stats([episode[key] for episode in episodes if key in episode]) for key in keys}


def stats_to_json(stats: dict[str, FeatureStats]) -> dict:
    """Plain lists (float64 repr round-trips exactly through JSON)."""
    return {feature: {k: np.asarray(v, dtype=np.float64).tolist() for k, v in s.items()} for feature, s in stats.items()}


def stats_from_json(payload: dict) -> dict[str, FeatureStats]:
    return {feature: {k: np.asarray(v, dtype=np.float64) for k, v in s.items()} for feature, s in payload.items()}
