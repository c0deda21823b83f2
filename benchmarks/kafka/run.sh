#!/usr/bin/env bash
# Weir broker benchmark: builds `weir` (release) and the librdkafka load generator (kload.c), starts
# `weir serve` on a free 127.0.0.1 port with a scratch data directory under /var/tmp and --metrics off,
# runs the loads, reads the broker's RSS from /proc, stops the broker by its PID, and prints the tables
# (benchmarks/kafka/report.py). Then, in the same run, the peer brokers of /work/shared/bench-peers
# (or $PEERS_DIR) with the same load shape, and Weir's ratio to each.
#
#   bash benchmarks/kafka/run.sh
# Env: PEERS="redis nats postgres" (default; "none" skips them), SKIP_BUILD=1, SECTIONS="rss max consume peer"
#      MAX_SECONDS (3) / MAX_RUNS (3) per max-rate figure, MAX_QUEUE_KB (8192: client-side bound on queued records),
#      DUR / WARM / PEER_REPS (1.5 / 0.5 / 3, the peers' shape), KEEP=1 keeps the scratch directory,
#      MAX_RETRIES / QUIET_WAIT_S (1 / 15: the peers' redo of a contended run), PEERS_DIR,
#      WEIR_BIN (a weir binary to measure instead of this tree's release build; with SKIP_BUILD=1),
#      CONSUME_OPTS ("-X KEY=VALUE ..." librdkafka settings for the consumer, over kload's defaults).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PEERS_DIR="${PEERS_DIR:-/work/shared/bench-peers}"
PEERS="${PEERS-redis nats postgres}"
SECTIONS="${SECTIONS:-rss max consume peer}"
MAX_SECONDS="${MAX_SECONDS:-3}" MAX_RUNS="${MAX_RUNS:-3}" MAX_QUEUE_KB="${MAX_QUEUE_KB:-8192}"
export DUR="${DUR:-1.5}" WARM="${WARM:-0.5}" PEER_REPS="${PEER_REPS:-3}"
export BENCH_ROOT_PID=$$
# The peers redo a run during which other processes used > FOREIGN_MAX % of a core after waiting (bounded) for quiet;
# on a busy shared machine their defaults (6 retries x 240 s) can take hours: bounded tighter here, and noted.
export FOREIGN_MAX="${FOREIGN_MAX:-20}" MAX_RETRIES="${MAX_RETRIES:-1}" QUIET_WAIT_S="${QUIET_WAIT_S:-15}"

[ -f /usr/include/librdkafka/rdkafka.h ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev; }
command -v gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc; }

WORK="$(mktemp -d /var/tmp/weir-broker-bench.XXXXXX)"   # a real disk: fsync must mean something
RESULTS="$WORK/results.txt"; : > "$RESULTS"
BPID=""
stop_broker() {
  if [ -n "$BPID" ]; then kill "$BPID" 2>/dev/null || true; wait "$BPID" 2>/dev/null || true; BPID=""; fi
}
cleanup() { stop_broker; if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building weir (release)" >&2
  (cd "$ROOT" && swift build -c release --product weir >&2)
fi
WEIR="${WEIR_BIN:-$(cd "$ROOT" && swift build -c release --show-bin-path)/weir}"
[ -x "$WEIR" ] || { echo "no $WEIR" >&2; exit 1; }
gcc -O2 -Wall -Wextra -Werror -o "$WORK/kload" "$HERE/kload.c" -lrdkafka -lm
KLOAD="$WORK/kload"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
foreign() { # CPU (% of one core) used by processes outside this run during 2 s, as the peers measure it
  python3 "$PEERS_DIR/loadgen.py" quiet 2 2>/dev/null || echo "?"
}
start_broker() { # name
  PORT=$(free_port)
  mkdir -p "$WORK/$1"
  "$WEIR" serve --data "$WORK/$1/data" --listen "127.0.0.1:$PORT" --metrics off --log-level warning > "$WORK/$1/broker.log" 2>&1 &
  BPID=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { echo "weir serve did not start:" >&2; cat "$WORK/$1/broker.log" >&2; exit 1; }
  B="127.0.0.1:$PORT"
  echo "# weir serve pid $BPID on $B, data $WORK/$1/data" >&2
}
rec() { tee -a "$RESULTS"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of a process, in clock ticks
ticks_to_s() { python3 -c "import os, sys; print(f'{int(sys.argv[1]) / os.sysconf(\"SC_CLK_TCK\"):.2f}')" "$1"; }
with_cpu() { # client size CMD...: runs CMD, then prints a RESULT line with the CPU seconds it used
  local client=$1 size=$2; shift 2
  python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[3:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"RESULT mode=client-cpu client={sys.argv[1]} size={sys.argv[2]} client_cpu_s={u.ru_utime + u.ru_stime:.2f}", flush=True)
sys.exit(r.returncode)' "$client" "$size" "$@"
}
note() { echo "$*" | rec >&2; }

note "# $(date -u +%FT%TZ) $(uname -r) nproc=$(nproc) weir=$(cd "$ROOT" && git rev-parse --short HEAD) $(dpkg-query -W -f='librdkafka ${Version}' librdkafka1 2>/dev/null)"

for section in $SECTIONS; do
  case $section in
  rss)  # 1,000 partitions, 100 connections, a fresh broker so VmHWM is this scenario's
    start_broker rss
    note "# rss: foreign cpu $(foreign)%"
    "$KLOAD" create -b "$B" -t wide -p 1000 >&2
    "$KLOAD" conns -b "$B" -t wide -p 1000 -c 100 -P "$BPID" -S 5 -R 20000 | rec
    stop_broker ;;
  max)  # maximum acknowledged rate (closed loop), then half of it (open loop); acks=all, linger 5 ms
    start_broker max
    for size in 100 1024; do
      note "# max $size B: foreign cpu $(foreign)%"
      # baseline: the disk's durable sequential rate for ~1 MiB writes (a librdkafka batch is up to 1 MB)
      "$KLOAD" raw -d "$WORK" -s "$size" -n $(( 1048576 / (size + 10) )) -D "$MAX_SECONDS" -W 1 -r "$MAX_RUNS" | rec
      line=$("$KLOAD" produce -b "$B" -t "max-$size" -s "$size" -S "$MAX_SECONDS" -W 1 -r "$MAX_RUNS" -K "$MAX_QUEUE_KB" | rec)
      echo "$line"
      r=$(echo "$line" | sed -n 's/.* recs_per_s=\([0-9]*\).*/\1/p')
      note "# half $size B: foreign cpu $(foreign)%"
      "$KLOAD" produce -b "$B" -t "half-$size" -s "$size" -S "$MAX_SECONDS" -W 1 -r "$MAX_RUNS" -K "$MAX_QUEUE_KB" -R $((r / 2)) | rec
    done
    if [[ " $SECTIONS " == *" consume "* ]]; then
      for size in 1024 100; do
        note "# consume $size B: foreign cpu $(foreign)%"
        # CPU seconds of broker and client beside the rate: on this shared machine the rate follows the CPU share
        # other sessions leave, the CPU per GB does not.
        b0=$(cpu_ticks "$BPID")
        # shellcheck disable=SC2086 # CONSUME_OPTS is a list of -X KEY=VALUE words
        with_cpu consume "$size" "$KLOAD" consume -b "$B" -t "max-$size" -s "$size" -S 3 ${CONSUME_OPTS:-} | rec
        note "RESULT mode=broker-cpu client=consume size=$size broker_cpu_s=$(ticks_to_s $(( $(cpu_ticks "$BPID") - b0 )))"
        if [ "$size" = 1024 ]; then
          b0=$(cpu_ticks "$BPID")
          with_cpu consume-raw "$size" python3 "$HERE/rawfetch.py" "$PORT" "max-$size" 3 8388608 | rec
          note "RESULT mode=broker-cpu client=consume-raw size=$size broker_cpu_s=$(ticks_to_s $(( $(cpu_ticks "$BPID") - b0 )))"
        fi
      done
    fi
    stop_broker ;;
  consume) ;;  # runs inside "max", on the logs it wrote
  peer)  # the peers' shape against Weir, raw pwrite+fdatasync baseline, then the peers, same run
    start_broker peer
    note "# peer shape: foreign cpu $(foreign)%"
    # raw and weir alternate per configuration: this disk's fdatasync latency moves several-fold within minutes
    for size in 100 1024; do
      for batch in 1 16 256; do
        "$KLOAD" raw -d "$WORK" -s "$size" -n "$batch" -D "$DUR" -W "$WARM" -r "$PEER_REPS" | rec
        "$KLOAD" peer -b "$B" -t "peer-$size-$batch" -s "$size" -n "$batch" -D "$DUR" -W "$WARM" -r "$PEER_REPS" | rec
      done
    done
    stop_broker
    PB="${WEIR_PEERS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/weir-bench-peers}"; export WEIR_PEERS_HOME="$PB"
    if [ "$PEERS" != none ] && ! "$PB/.venv/bin/python" -c 'import nats, psycopg' 2>/dev/null; then  # as run-all.sh does
      mkdir -p "$PB"; python3 -m venv "$PB/.venv"; "$PB/.venv/bin/pip" install -q nats-py 'psycopg[binary]'
    fi
    for p in $PEERS; do
      [ "$p" = none ] && continue
      if [ -f "$PEERS_DIR/$p/run.sh" ]; then
        note "# peer $p: foreign cpu $(foreign)%"
        # NATS: the fast raw protocol client only (the asyncio client measures Python, not the server)
        RESULTS_FILE="$RESULTS" CLIENTS=raw bash "$PEERS_DIR/$p/run.sh" >&2 || note "# peer $p FAILED (exit $?)"
      else
        note "# peer $p: no script in $PEERS_DIR/$p - the report uses the README's recorded figures"
      fi
    done ;;
  *) echo "unknown section $section" >&2; exit 2 ;;
  esac
done
echo "# results: $RESULTS" >&2
python3 "$HERE/report.py" "$RESULTS" "$PEERS_DIR/README.md"
