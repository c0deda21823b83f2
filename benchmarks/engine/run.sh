#!/usr/bin/env bash
# Risk engine benchmark (issue 7): end-to-end latency produce → decision readable (confluent-kafka on both ends),
# p50/p99 at 1,000, 10,000 and the maximum events/s with `weir serve --processors` (preprocessor + features +
# PMML v1 of the ING example), then the maximum rate with a 100-tree forest deployed live through the control
# topic. PAIR=1: the same against the primary of a local synchronous pair (node 1 primary running the
# processors, node 2 replica; every append — the producer's, the business events, the decisions — is durable
# on both nodes before it is visible), after a disk baseline (pwrite + fdatasync, kload.c).
#
#   bash benchmarks/engine/run.sh
#   PAIR=1 bash benchmarks/engine/run.sh
# Env: SKIP_BUILD=1, PYTHON (a python with confluent-kafka; default: .venv/bin/python, else python3),
#      SECONDS_PER_RATE (5), MAX_EVENTS (100000), RATES (1000,10000,max), TREES (100; 0 skips the forest),
#      PAIR=1, KEEP=1, DRAIN (200000; single node: events written first, then decided with the machine to
#      the engine alone; 0 skips).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python3)}"
WORK="$(mktemp -d /var/tmp/weir-engine-bench.XXXXXX)"   # a real disk: fsync must mean something
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building weir (release)" >&2
  (cd "$ROOT" && swift build -c release --product weir >&2)
fi
WEIR="${WEIR:-$(cd "$ROOT" && swift build -c release --show-bin-path)/weir}"
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "no listener on $1" >&2; return 1; }
"$WEIR" demo fraud --write-files "$WORK/files" >/dev/null
SERVE=("$WEIR" serve --metrics off --log-level warning --processors "$WORK/files/processors.yaml")

echo "# weir $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), $([ "${PAIR:-0}" = 1 ] && echo "synchronous pair" || echo "single node")"
if [ "${PAIR:-0}" = 1 ]; then
  # The disk's own durable-write latency (the floor under every fsync of the three in series, on each node).
  if [ -f /usr/include/librdkafka/rdkafka.h ] && command -v gcc >/dev/null; then
    gcc -O2 -o "$WORK/kload" "$ROOT/benchmarks/kafka/kload.c" -lrdkafka -lm
    "$WORK/kload" raw -d "$WORK" -s 200 -n 64 -D 3 -W 1 -r 1 | sed 's/^RESULT /RESULT setup=disk-64-records /'
  fi
  PA=$(free_port); PB=$(free_port)
  "${SERVE[@]}" --data "$WORK/n1" --listen "127.0.0.1:$PA" --node-id 1 --role primary --peer "127.0.0.1:$PB" > "$WORK/n1.log" 2>&1 & PIDS+=($!)
  "${SERVE[@]}" --data "$WORK/n2" --listen "127.0.0.1:$PB" --node-id 2 --role replica --peer "127.0.0.1:$PA" > "$WORK/n2.log" 2>&1 & PIDS+=($!)
  wait_port "$PA"; wait_port "$PB"
  # Synchronous: node 1 primary, not acknowledging alone, peer connected; node 2 its replica in the same epoch.
  for i in $(seq 300); do
    if "$PYTHON" - "$WEIR" "127.0.0.1:$PA" "127.0.0.1:$PB" <<'PY'
import json, subprocess, sys
def st(addr):
    r = subprocess.run([sys.argv[1], "status", "--broker", addr, "--json", "--request-timeout-ms", "1000"], capture_output=True, text=True, timeout=20)
    return json.loads(r.stdout) if r.returncode == 0 else None
p, r = st(sys.argv[2]), st(sys.argv[3])
ok = p and r and p["role"] == "primary" and p.get("acknowledging_alone") is None and p["peer_connected"] and r["role"] == "replica" and r["epoch"] == p["epoch"]
sys.exit(0 if ok else 1)
PY
    then break; fi
    [ "$i" = 300 ] && { echo "the pair did not become synchronous" >&2; tail -20 "$WORK/n1.log" "$WORK/n2.log" >&2; exit 1; }
    sleep 0.2
  done
  BOOTSTRAP="127.0.0.1:$PA"
else
  P=$(free_port)
  "${SERVE[@]}" --data "$WORK/data" --listen "127.0.0.1:$P" > "$WORK/serve.log" 2>&1 & PIDS+=($!)
  wait_port "$P"
  BOOTSTRAP="127.0.0.1:$P"
fi
"$PYTHON" "$HERE/latency.py" --bootstrap "$BOOTSTRAP" --rates "${RATES:-1000,10000,max}" \
  --seconds "${SECONDS_PER_RATE:-5}" --max-events "${MAX_EVENTS:-100000}"
if [ "${TREES:-100}" != 0 ]; then
  "$PYTHON" "$HERE/latency.py" --bootstrap "$BOOTSTRAP" --rates max --max-events "${MAX_EVENTS:-100000}" \
    --forest "${TREES:-100}" --weir "$WEIR" --files "$WORK/files"
fi
if [ "${PAIR:-0}" != 1 ] && [ "${DRAIN:-200000}" != 0 ]; then
  # Throughput with the machine to itself: DRAIN events written first (no processors running), then the same
  # data served with --processors; the rate counts from the moment that process is launched (its start and
  # recovery included) until every event is decided (no load generator or consumer competing for the cores).
  for p in "${PIDS[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done; PIDS=()
  P=$(free_port)
  "$WEIR" serve --metrics off --log-level warning --data "$WORK/drain" --listen "127.0.0.1:$P" > "$WORK/drain-fill.log" 2>&1 & PIDS+=($!)
  wait_port "$P"
  (cd "$HERE" && "$PYTHON" drain.py fill --bootstrap "127.0.0.1:$P" --events "${DRAIN:-200000}")
  kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()
  P=$(free_port)
  STARTED=$("$PYTHON" -c 'import time; print(time.monotonic_ns())')
  "${SERVE[@]}" --data "$WORK/drain" --listen "127.0.0.1:$P" > "$WORK/drain.log" 2>&1 & PIDS+=($!)
  wait_port "$P"
  (cd "$HERE" && "$PYTHON" drain.py wait --bootstrap "127.0.0.1:$P" --events "${DRAIN:-200000}" --started "$STARTED")
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
