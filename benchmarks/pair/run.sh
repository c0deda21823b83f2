#!/usr/bin/env bash
# Pair benchmark (issue 5): the broker benchmark's produce load (librdkafka, acks=all, linger 5 ms, kload.c)
# against a single node and against the primary of a local synchronous pair, in the same run, and the ratio.
# Both nodes of the pair run on this machine, so the "replica fsync" and the "round trip" share the same disk and
# cores as the primary: a conservative stand-in for two machines.
#
#   bash benchmarks/pair/run.sh
# Env: SKIP_BUILD=1, SIZES ("100 1024"), SECONDS_PER_RUN (3), RUNS (3), MAX_QUEUE_KB (8192), KEEP=1,
#      PACED ("": e.g. "1000 10000" adds open-loop runs at those rates with linger 1 ms, the risk engine's load).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SIZES="${SIZES:-100 1024}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-3}" RUNS="${RUNS:-3}" MAX_QUEUE_KB="${MAX_QUEUE_KB:-8192}"

[ -f /usr/include/librdkafka/rdkafka.h ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev; }
command -v gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc; }

WORK="$(mktemp -d /var/tmp/weir-pair-bench.XXXXXX)"   # a real disk: fsync must mean something
RESULTS="$WORK/results.txt"; : > "$RESULTS"
PIDS=()
stop_all() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done; PIDS=(); }
cleanup() { stop_all; if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building weir (release)" >&2
  (cd "$ROOT" && swift build -c release --product weir >&2)
fi
WEIR="$(cd "$ROOT" && swift build -c release --show-bin-path)/weir"
gcc -O2 -Wall -Wextra -Werror -o "$WORK/kload" "$ROOT/benchmarks/kafka/kload.c" -lrdkafka -lm
KLOAD="$WORK/kload"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "no listener on $1" >&2; return 1; }
rec() { tee -a "$RESULTS"; }

load() { # setup broker
  for size in $SIZES; do
    line=$("$KLOAD" produce -b "$2" -t "max-$size" -s "$size" -S "$SECONDS_PER_RUN" -W 1 -r "$RUNS" -K "$MAX_QUEUE_KB" | sed "s/^RESULT /RESULT setup=$1 /" | rec)
    r=$(echo "$line" | sed -n 's/.* recs_per_s=\([0-9]*\).*/\1/p')
    "$KLOAD" produce -b "$2" -t "half-$size" -s "$size" -S "$SECONDS_PER_RUN" -W 1 -r "$RUNS" -K "$MAX_QUEUE_KB" -R $((r / 2)) | sed "s/^RESULT /RESULT setup=$1 /" | rec
    for rate in ${PACED:-}; do
      "$KLOAD" produce -b "$2" -t "paced-$rate-$size" -s "$size" -S "$SECONDS_PER_RUN" -W 1 -r "$RUNS" -K "$MAX_QUEUE_KB" -R "$rate" -l 1 | sed "s/^RESULT /RESULT setup=$1 kind=paced /" | rec
    done
  done
}

echo "# $(date -u +%FT%TZ) nproc=$(nproc) weir=$(cd "$ROOT" && git rev-parse --short HEAD)" | rec >&2

# The disk's own durable-write latency in this run (pwrite of a ~1 MiB batch + fdatasync): the floor under p99.
for size in $SIZES; do
  "$KLOAD" raw -d "$WORK" -s "$size" -n $(( 1048576 / (size + 10) )) -D "$SECONDS_PER_RUN" -W 1 -r 1 | sed "s/^RESULT /RESULT setup=raw /" | rec
done

# Single node.
P=$(free_port)
"$WEIR" serve --data "$WORK/single" --listen "127.0.0.1:$P" --metrics off --log-level warning > "$WORK/single.log" 2>&1 & PIDS+=($!)
wait_port "$P"
load single "127.0.0.1:$P"
stop_all

# Synchronous pair: node 1 primary, node 2 replica.
PA=$(free_port); PB=$(free_port)
"$WEIR" serve --data "$WORK/n1" --listen "127.0.0.1:$PA" --node-id 1 --role primary --peer "127.0.0.1:$PB" --metrics off --log-level warning > "$WORK/n1.log" 2>&1 & PIDS+=($!)
"$WEIR" serve --data "$WORK/n2" --listen "127.0.0.1:$PB" --node-id 2 --role replica --peer "127.0.0.1:$PA" --metrics off --log-level warning > "$WORK/n2.log" 2>&1 & PIDS+=($!)
wait_port "$PA"; wait_port "$PB"; sleep 1
load pair "127.0.0.1:$PA,127.0.0.1:$PB"
# The replica must hold what was acknowledged.
"$WEIR" status --broker "127.0.0.1:$PA" | rec >&2
stop_all

python3 - "$RESULTS" <<'EOF'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "): continue
    kv = dict(re.findall(r"(\w+)=(\S+)", line))
    if kv.get("setup") == "raw": continue
    kind = "max" if float(kv.get("target_rate", "0")) == 0 else ("paced " + kv["target_rate"] if kv.get("kind") == "paced" else "half")
    rows[(kv["setup"], kv["size"], kind)] = kv
print(f"{'size':>5} {'load':>11} | {'single rec/s':>12} {'MB/s':>7} {'p50':>7} {'p99':>7} {'p99.9':>7} | {'pair rec/s':>12} {'MB/s':>7} {'p50':>7} {'p99':>7} {'p99.9':>7} | pair/single")
for size in sorted({k[1] for k in rows}, key=int):
    for kind in ["max", "half"] + sorted({k[2] for k in rows if k[2].startswith("paced")}, key=lambda k: int(k.split()[1])):
        s, p = rows.get(("single", size, kind)), rows.get(("pair", size, kind))
        if not s or not p: continue
        ratio = float(p["recs_per_s"]) / max(1.0, float(s["recs_per_s"]))
        print(f"{size:>5} {kind:>11} | {s['recs_per_s']:>12} {s['MBps']:>7} {s['p50_ms']:>7} {s['p99_ms']:>7} {s['p999_ms']:>7} | "
              f"{p['recs_per_s']:>12} {p['MBps']:>7} {p['p50_ms']:>7} {p['p99_ms']:>7} {p['p999_ms']:>7} | {ratio:.2f}")
print("latencies in ms, produce() to acknowledgement; max = closed loop; half = open loop at half of that setup's own max rate;"
      " paced N = open loop at N records/s, linger 1 ms")
for line in open(sys.argv[1]):
    if line.startswith("RESULT setup=raw "):
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        print(f"disk baseline (pwrite ~1 MiB + fdatasync), {kv['size']} B records: p50 {kv['p50_ms']} ms, p99 {kv['p99_ms']} ms, p99.9 {kv['p999_ms']} ms")
EOF
