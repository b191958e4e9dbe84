"""`captions`: per video, a VITRA-form instruction and rephrasings for every segment."""

from collections import Counter

from dagster import (
    AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset,
)

from vitra_assets.partitions import source_metadata, videos_partitions
from vitra_assets.resources import VitraConfigResource
from vitra_assets.segments import segments
from vitra_core.captions.stage import CAPTIONS_STAGE, CODE_VERSION, build_captions, caption_problems

CAPTIONS_CHECK = "instructions_well_formed"


@asset(
    partitions_def=videos_partitions,
    deps=[segments],
    code_version=CODE_VERSION,
    group_name="per_video",
    check_specs=[AssetCheckSpec(CAPTIONS_CHECK, asset=CAPTIONS_STAGE, blocking=True,
                                description="VITRA form, plain vocabulary, at least 3 distinct rephrasings.")],
)
def captions(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Instructions ("Left hand: ... Right hand: ...") from the configured captioner, template fallback."""
    result = build_captions(vitra.layout(), context.partition_key, vitra.load().captions)
    made_by = Counter(c.captioner for c in result.captions)
    fallbacks = [c.fallback_reason for c in result.captions if c.fallback_reason]
    problems = caption_problems(result)
    if fallbacks:
        context.log.warning(f"{len(fallbacks)} caption(s) fell back to the template: {fallbacks[0]}")
    examples = "\n".join(f"- `{c.hand} {c.start_frame}-{c.end_frame}` {c.instruction}" for c in result.captions[:5])
    return MaterializeResult(
        metadata={
            **source_metadata(vitra.layout(), context.partition_key),
            "captions": len(result.captions),
            "captioners": MetadataValue.json(dict(made_by)),
            "fallbacks": len(fallbacks),
            "examples": MetadataValue.md(examples or "(no segments)"),
        },
        check_results=[AssetCheckResult(check_name=CAPTIONS_CHECK, passed=not problems,
                                        metadata={"problems": "; ".join(problems[:10]) or "none"})],
    )
