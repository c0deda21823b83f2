#!/usr/bin/env bash
# Risk engine benchmark (issue 7): end-to-end latency produce → decision readable (confluent-kafka on both ends),
# p50/p99 at 1,000, 10,000 and the maximum events/s on a single node running `weir serve --processors`
# (preprocessor + features + PMML v1 of the ING example), then the maximum rate with a 100-tree forest deployed
# live through the control topic.
#
#   bash benchmarks/engine/run.sh
# Env: SKIP_BUILD=1, PYTHON (a python with confluent-kafka; default: .venv/bin/python, else python3),
#      SECONDS_PER_RATE (5), MAX_EVENTS (100000), RATES (1000,10000,max), TREES (100), KEEP=1.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python3)}"
WORK="$(mktemp -d /var/tmp/weir-engine-bench.XXXXXX)"   # a real disk: fsync must mean something
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building weir (release)" >&2
  (cd "$ROOT" && swift build -c release --product weir >&2)
fi
WEIR="$(cd "$ROOT" && swift build -c release --show-bin-path)/weir"
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WEIR" demo fraud --write-files "$WORK/files" >/dev/null
"$WEIR" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" --metrics off --log-level warning \
  --processors "$WORK/files/processors.yaml" > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
echo "# weir $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, $(date -u +%FT%TZ)"
"$PYTHON" "$HERE/latency.py" --bootstrap "127.0.0.1:$PORT" --rates "${RATES:-1000,10000,max}" \
  --seconds "${SECONDS_PER_RATE:-5}" --max-events "${MAX_EVENTS:-100000}"
"$PYTHON" "$HERE/latency.py" --bootstrap "127.0.0.1:$PORT" --rates max --max-events "${MAX_EVENTS:-100000}" \
  --forest "${TREES:-100}" --weir "$WEIR" --files "$WORK/files"
