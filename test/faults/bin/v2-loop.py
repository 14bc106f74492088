"""A labtasker v2 worker for the fault suite: the official `@labtasker.loop` (labtasker 2.8.0, run with
test/compat-v2/.venv's python) that logs each run to a ledger and finishes with its run id as the result.

    v2-loop.py LEDGER JOB_SECONDS IDLE_TIMEOUT

The server and queue come from LABTASKER_URL and LABTASKER_QUEUE. A ledger line is one JSON object, written with
one write() to a file opened with O_APPEND, so lines of concurrent loops never interleave: `start` when a run begins
(after the claim), `end` when its work is done (before the completion is reported), with the task, run, attempt,
this process's pid and the time in ms.
"""

import json
import os
import sys
import time

import labtasker
from labtasker import TaskArg

LEDGER, JOB_SECONDS, IDLE_TIMEOUT = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])


def log(kind, info):
    line = {"kind": kind, "taskId": info.id, "runId": info.run_id, "attempt": info.attempt, "pid": os.getpid(),
            "time": time.time() * 1000}
    fd = os.open(LEDGER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


@labtasker.loop(idle_timeout=IDLE_TIMEOUT, max_consecutive_failures=1000)
def job(i: int = TaskArg()):
    info = labtasker.task_info()
    log("start", info)
    time.sleep(JOB_SECONDS)
    log("end", info)
    labtasker.finish({"i": i, "runId": info.run_id, "pid": os.getpid()})


if __name__ == "__main__":
    job()
