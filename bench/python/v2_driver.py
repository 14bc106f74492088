"""Drives a labtasker v2 server with the official labtasker 2.8.0 Python client and prints timings as JSON.

Usage: v2_driver.py <base_url> <queue> <tasks>     (measure)
       v2_driver.py <base_url> <queue> create      (create the queue, print nothing)

On <queue> (created beforehand by the harness, shared by every driver process), submits <tasks> tasks one call at
a time, then claims and completes <tasks> tasks (each claim with a fresh run id, as a worker does), using the
client's `Client.submit_task`, `Client._claim` and `Client._complete`: the calls `labtasker.loop` makes per task,
without its run journal on disk.

The harness runs several drivers at once and starts each phase in all of them together, so that no driver's
phase overlaps another's start-up (importing the client takes about as much CPU as a hundred submits) or another
phase: the driver prints `ready` once it has its client and waits for a line on stdin, prints `submitted` after its
submits and waits for another line, then prints
{"submit": [seconds per op...], "claim": [...], "complete": [...], "submit_wall": s, "cycle_wall": s,
 "submit_cpu": s, "cycle_cpu": s} (the *_cpu figures are this client process's own CPU time in each phase).
"""
import json
import secrets
import string
import sys
import tempfile
import time

from labtasker import Client

url, queue = sys.argv[1], sys.argv[2]
client = Client(url=url, queue=queue, labtasker_root=tempfile.mkdtemp(prefix="labtasker-bench-v2-"))
if sys.argv[3] == "create":
    client.create_queue(queue)
    sys.exit(0)
total = int(sys.argv[3])
alphabet = string.ascii_letters + string.digits


def run_id():
    return "r_" + "".join(secrets.choice(alphabet) for _ in range(12))


def wait_for_start(message):
    """Tells the harness this driver is at a phase's start, and waits until it starts the phase everywhere."""
    print(message, flush=True)
    if sys.stdin.readline() == "":
        raise SystemExit("the harness went away")


wait_for_start("ready")
submit = []
cpu = time.process_time()
started = time.perf_counter()
for i in range(total):
    t0 = time.perf_counter()
    client.submit_task({"lr": 0.001 * (i + 1), "model": "vit", "bs": 32, "seed": i, "epochs": 10})
    submit.append(time.perf_counter() - t0)
submit_wall = time.perf_counter() - started
submit_cpu = time.process_time() - cpu

wait_for_start("submitted")
claim, complete = [], []
cpu = time.process_time()
started = time.perf_counter()
for _ in range(total):
    t0 = time.perf_counter()
    c = client._claim(route="default", run_id=run_id())
    t1 = time.perf_counter()
    if c is None:
        raise SystemExit("claim found no task")
    client._complete(task_id=c.task.id, run_id=c.run_id, result={"acc": 0.9})
    claim.append(t1 - t0)
    complete.append(time.perf_counter() - t1)
cycle_wall = time.perf_counter() - started
cycle_cpu = time.process_time() - cpu
print(json.dumps({"submit": submit, "claim": claim, "complete": complete, "submit_wall": submit_wall,
                  "cycle_wall": cycle_wall, "submit_cpu": submit_cpu, "cycle_cpu": cycle_cpu}))
