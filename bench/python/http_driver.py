"""Drives a labtasker server with the official labtasker 1.0.1 Python client and prints timings as JSON.

Usage: http_driver.py <api_base_url> <tasks> <threads>

Creates a fresh queue, submits <tasks> tasks, then fetches and reports each, from <threads> threads at once
(each op is one call of the official client), and deletes the queue. Prints
{"submit": [seconds per op...], "fetch": [...], "report": [...], "submit_wall": s, "cycle_wall": s}.
"""
import json
import os
import sys
import tempfile
import threading
import time
import uuid

url, total, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
queue = f"bench-{uuid.uuid4().hex[:10]}"
root = tempfile.mkdtemp(prefix="labtasker-bench-")
with open(os.path.join(root, "client.toml"), "w") as f:
    f.write(
        'display_server_notifications_level = "none"\nenable_traceback_filter = false\nversion_check = false\n'
        f'[endpoint]\napi_base_url = "{url}"\n[queue]\nqueue_name = "{queue}"\npassword = "bench"\n'
        "[task]\nheartbeat_interval = 10.0\n"
    )
os.environ["LABTASKER_ROOT"] = root

import labtasker  # noqa: E402  (reads LABTASKER_ROOT at import)

labtasker.create_queue(queue_name=queue, password="bench")


def run_parallel(work):
    """Runs work(i) for i in range(total) on `threads` threads; returns per-op seconds and the wall time."""
    durations = [0.0] * total
    counter = iter(range(total))
    lock = threading.Lock()

    def lane():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            start = time.perf_counter()
            work(i)
            durations[i] = time.perf_counter() - start

    started = time.perf_counter()
    workers = [threading.Thread(target=lane) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return durations, time.perf_counter() - started


submit, submit_wall = run_parallel(
    lambda i: labtasker.submit_task(args={"lr": 0.001 * (i + 1), "model": "vit", "bs": 32, "seed": i, "epochs": 10})
)

fetch = [0.0] * total
report = [0.0] * total


def cycle(i):
    start = time.perf_counter()
    task = labtasker.fetch_task(required_fields=["lr", "model", "bs", "seed", "epochs"]).task
    fetched = time.perf_counter()
    labtasker.report_task_status(task_id=task.task_id, status="success", summary={"acc": 0.9})
    fetch[i] = fetched - start
    report[i] = time.perf_counter() - fetched


_, cycle_wall = run_parallel(cycle)
try:
    # Cleanup only, after the measurement: v1's embedded database can take longer than the client's timeout to
    # delete a queue once its file has grown over the repetitions; that must not discard the figures.
    labtasker.delete_queue(cascade_delete=True)
except Exception as error:  # noqa: BLE001
    print(f"delete_queue failed (ignored): {error}", file=sys.stderr)
print(json.dumps({"submit": submit, "fetch": fetch, "report": report, "submit_wall": submit_wall, "cycle_wall": cycle_wall}))
