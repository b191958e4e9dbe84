"""`captions`: per video, a VITRA-form instruction and rephrasings for every segment."""

from collections import Counter

from dagster import (
    AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset,
)

from vitra_assets.batching import PartitionResult, build_each, materialize_each
from vitra_assets.partitions import source_metadata, videos_partitions
from vitra_assets.resources import VitraConfigResource
from vitra_assets.segments import segments
from vitra_core.captions.caption import make_captioner
from vitra_core.captions.model import VideoCaptions
from vitra_core.captions.stage import CAPTIONS_STAGE, CODE_VERSION, build_captions, caption_problems
from vitra_core.layout import DataLayout

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
    """Instructions ("Left hand: ... Right hand: ...") from the configured captioner, template fallback.

    One captioner (one model load) serves every video of the step."""
    settings = vitra.load().captions
    layout = vitra.layout()
    captioner = make_captioner(settings)
    return materialize_each(context, build_each(context, layout, lambda video_id: _captions_result(
        context, layout, video_id, build_captions(layout, video_id, settings, captioner))))


def _captions_result(context: AssetExecutionContext, layout: DataLayout, video_id: str,
                     result: VideoCaptions) -> PartitionResult:
    made_by = Counter(c.captioner for c in result.captions)
    fallbacks = [c.fallback_reason for c in result.captions if c.fallback_reason]
    problems = caption_problems(result)
    if fallbacks:
        context.log.warning(f"{video_id}: {len(fallbacks)} caption(s) fell back to the template: {fallbacks[0]}")
    examples = "\n".join(f"- `{c.hand} {c.start_frame}-{c.end_frame}` {c.instruction}" for c in result.captions[:5])
    return PartitionResult(
        metadata={
            **source_metadata(layout, video_id),
            "captions": len(result.captions),
            "captioners": MetadataValue.json(dict(made_by)),
            "fallbacks": len(fallbacks),
            "examples": MetadataValue.md(examples or "(no segments)"),
        },
        checks=[AssetCheckResult(check_name=CAPTIONS_CHECK, passed=not problems,
                                 metadata={"problems": "; ".join(problems[:10]) or "none"})],
    )
