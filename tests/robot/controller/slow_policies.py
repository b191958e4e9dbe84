"""`python -m tests.robot.controller.slow_policies controller serve ...`: the real controller CLI whose policies'
predict() is slowed as each policy's normaliser `source` says, so real signed bundles can be slow or hang:

    "tests:sleep=<s>"        every predict() sleeps <s> seconds first
    "tests:hang_after=<n>"   every predict() after the n-th never returns

Each slowed predict() that returns appends "<source>" to the file named by $VITRA_TEST_PREDICT_LOG.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

from robot.cli import cli
from vitra_core.model import VLAPolicy

_original_predict = VLAPolicy.predict
_calls: Counter[int] = Counter()


def _slowed_predict(self, *args, **kwargs):
    kind, _, value = self.normaliser.source.removeprefix("tests:").partition("=")
    _calls[id(self)] += 1
    if kind == "sleep":
        time.sleep(float(value))
    elif kind == "hang_after" and _calls[id(self)] > int(value):
        threading.Event().wait()
    else:
        return _original_predict(self, *args, **kwargs)
    with open(os.environ["VITRA_TEST_PREDICT_LOG"], "a") as log:
        log.write(self.normaliser.source + "\n")
    return _original_predict(self, *args, **kwargs)


VLAPolicy.predict = _slowed_predict

if __name__ == "__main__":
    cli()
