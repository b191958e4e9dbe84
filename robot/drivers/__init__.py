"""Hand drivers: the interface the controller talks to (`HandDriver`) and its data types."""

from robot.drivers.base import DriverError, HandDriver, JointSpec, Observation, UnknownJointError, WristPose

__all__ = ["DriverError", "HandDriver", "JointSpec", "Observation", "UnknownJointError", "WristPose"]
