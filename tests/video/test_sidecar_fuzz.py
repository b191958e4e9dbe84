"""Property: whatever JSON a sidecar holds, it is refused with a reason naming the file, or it yields
finite, plausible intrinsics at any video size downstream (the same validator at ingest and at use)."""

import json
import math

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from vitra_core.errors import InvalidVideoError
from vitra_core.video.intrinsics import FOV_RANGE_DEG, resolve_intrinsics
from vitra_core.video.sidecar import parse_sidecar, sidecar_from_bytes

KEYS = ["fx", "fy", "cx", "cy", "fov_deg", "width", "height", "mirrored"]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**30, max_value=10**30),
    st.floats(min_value=-5000, max_value=5000),
    st.sampled_from([0, 1, 5, 175, 179.9, 1e308, -1e6, 1e20]),
)
leaf = st.one_of(numbers, st.booleans(), st.none(), st.text(max_size=8))
values = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)


@st.composite
def pinholes(draw):
    """Pinhole sidecars near the edge of plausibility, for the image size they name (or none)."""
    w, h = draw(st.integers(16, 8192)), draw(st.integers(16, 8192))
    long_side = max(w, h)
    fx = draw(st.floats(0.005 * long_side, 15 * long_side))
    fy = fx * draw(st.floats(0.2, 5.0))
    cx, cy = draw(st.floats(-0.2 * w, 1.2 * w)), draw(st.floats(-0.2 * h, 1.2 * h))
    sidecar = {"fx": fx, "fy": fy, "cx": cx, "cy": cy}
    if draw(st.booleans()):
        sidecar |= {"width": w, "height": h}
    return sidecar


sidecars = st.one_of(
    pinholes(),
    st.fixed_dictionaries({"fov_deg": st.floats(-10, 200)}),
    st.dictionaries(st.sampled_from(KEYS), numbers, max_size=8),
    st.dictionaries(st.sampled_from(KEYS + ["junk"]), values, max_size=8),
    values,
)
video_sizes = st.tuples(st.integers(16, 8192), st.integers(16, 8192))


def encode(payload) -> bytes:
    return json.dumps(payload, allow_nan=True).encode()  # NaN/Infinity written as JSON never allows them


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=sidecars, size=video_sizes)
def test_any_sidecar_is_refused_or_yields_finite_plausible_intrinsics(tmp_path_factory, payload, size):
    path = tmp_path_factory.mktemp("fuzz") / "clip.json"
    path.write_bytes(encode(payload))
    width, height = size
    try:
        spec = parse_sidecar(path)
        camera = resolve_intrinsics(width, height, spec, 60.0)
    except InvalidVideoError as exc:
        assert exc.path == path and str(exc).startswith("clip.json: sidecar")
        return
    except ValueError as exc:  # plausible on its own, not for this video size
        assert "implausible intrinsics" in str(exc)
        return
    event(f"accepted: {camera.source}")
    k = camera.matrix()
    assert all(math.isfinite(v) for v in k.ravel())
    assert (camera.width, camera.height) == (width, height)
    assert -0.1 * width <= camera.cx <= 1.1 * width and -0.1 * height <= camera.cy <= 1.1 * height
    long_side_fov = math.degrees(2 * math.atan(max(width, height) / (2 * max(camera.fx, camera.fy))))
    assert FOV_RANGE_DEG[0] - 1e-6 <= long_side_fov <= FOV_RANGE_DEG[1] + 1e-6


@settings(max_examples=200, deadline=None)
@given(junk=st.binary(max_size=2000))
def test_arbitrary_bytes_never_escape_as_anything_but_a_named_error(tmp_path_factory, junk):
    origin = tmp_path_factory.mktemp("junk") / "junk.json"
    try:
        sidecar_from_bytes(junk, origin)
    except InvalidVideoError as exc:
        assert exc.path == origin
