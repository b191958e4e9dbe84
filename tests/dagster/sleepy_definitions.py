"""A job whose one op writes its run worker's pid to a file and sleeps: a run to kill while it is STARTED."""

import os
import time
from pathlib import Path

from dagster import Definitions, in_process_executor, job, op


@op
def sleep_with_pid_file() -> None:
    Path(os.environ["VITRA_TEST_PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(120)


@job(executor_def=in_process_executor)  # the op runs in the run worker itself
def sleepy():
    sleep_with_pid_file()


defs = Definitions(jobs=[sleepy])
