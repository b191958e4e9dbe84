"""Re-lifting stored detections with other intrinsics (a field of view estimated after detection): the same
intrinsics give back the stage's own poses, a wider field of view brings the hand nearer by the focal ratio."""

from __future__ import annotations

import math

import numpy as np

from vitra_core.hands import extract_hand_poses, relift_hand_poses
from vitra_core.hands.skeleton import WRIST
from vitra_core.video.intrinsics import intrinsics_from_fov


def test_relifting_with_the_same_intrinsics_gives_back_the_poses(asl_poses):
    again = relift_hand_poses(asl_poses, asl_poses.intrinsics)
    np.testing.assert_array_equal(again.mask, asl_poses.mask)
    present = asl_poses.mask
    np.testing.assert_allclose(again.joints_cam[present], asl_poses.joints_cam[present], atol=1e-6)
    np.testing.assert_array_equal(again.joints_2d[present], asl_poses.joints_2d[present])


def test_relifting_equals_lifting_with_those_intrinsics_at_detection(asl_poses, asl_video):
    size = asl_poses.intrinsics
    wide_camera = intrinsics_from_fov(size.width, size.height, 90.0, "estimated_fov")
    wide = relift_hand_poses(asl_poses, wide_camera)
    direct = extract_hand_poses(asl_video, intrinsics=wide_camera)
    assert wide.intrinsics.source == "estimated_fov"
    np.testing.assert_array_equal(wide.mask, direct.mask)
    np.testing.assert_allclose(wide.joints_cam[wide.mask], direct.joints_cam[direct.mask], atol=1e-6)
    present = asl_poses.mask & wide.mask
    ratio = wide.joints_cam[present][:, WRIST, 2] / asl_poses.joints_cam[present][:, WRIST, 2]
    # depth follows the focal length (90 vs 60 degrees) up to perspective: this hand fills a third of the frame
    expected = math.tan(math.radians(30)) / math.tan(math.radians(45))
    assert abs(np.median(ratio) - expected) < 0.1 * expected
