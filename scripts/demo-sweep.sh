#!/usr/bin/env bash
# The main job on the embedded default: `labtasker-server serve` with its embedded redis-server, a grid sweep
# submitted from a bash loop, drained by 4 `labtasker loop` processes (one per "GPU"), and the results.
# Everything lives in a temporary directory that is removed at the end. Run with `npm run demo` after setup.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t labtasker-demo-XXXXXX)"
labtasker() { node "$repo/dist/cli/main.js" "$@"; }
export LABTASKER_ROOT="$work/.labtasker" NO_COLOR=1

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
node "$repo/dist/http/main.js" serve --host 127.0.0.1 --port "$port" --data-dir "$work/data" 2>"$work/server.log" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
node -e 'const url = process.argv[1]; const until = Date.now() + 15000;
  (async () => { while (Date.now() < until) { try { if ((await fetch(url)).ok) return; } catch {} await new Promise((r) => setTimeout(r, 100)); }
    console.error("the server did not start"); process.exit(1); })()' "http://127.0.0.1:$port/health"

echo "== labtasker-server serve on port $port (embedded redis-server under $work/data)"
labtasker init --api-base-url "http://127.0.0.1:$port" --queue-name demo-sweep --password demo -y

echo "== submitting the grid"
for lr in 0.001 0.01 0.1; do
  for model in resnet vit; do
    for seed in 0 1; do
      labtasker task submit --name grid -- --lr=$lr --model=$model --seed=$seed >/dev/null
    done
  done
done
labtasker task count

echo "== draining with 4 loops, one per GPU"
for gpu in 0 1 2 3; do
  CUDA_VISIBLE_DEVICES=$gpu labtasker loop -- node "$repo/scripts/demo/train.mjs" --lr '%(lr)' --model '%(model)' --seed '%(seed)' \
    >"$work/loop-$gpu.log" 2>&1 &
done
wait $(jobs -p | grep -v "^$server$")
grep -h "^training" "$work"/loop-*.log | sort | head -n 40

echo "== results, best first"
labtasker task ls -s success -S 'summary.acc:desc' --fmt jsonl \
  | node -e 'const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
    console.table(rows.map((t) => ({ lr: t.args.lr, model: t.args.model, seed: t.args.seed, retries: t.retries, acc: t.summary.acc })));'
labtasker task count
succeeded="$(labtasker task ls -s success -q | wc -l)"
echo "$succeeded/12 tasks succeeded"
test "$succeeded" -eq 12
