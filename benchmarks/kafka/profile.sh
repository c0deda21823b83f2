#!/usr/bin/env bash
# Where the broker's time goes on the produce path: runs `weir serve` (release build) under
# valgrind --tool=callgrind, drives it with the max-rate librdkafka load for SIZE-byte records, stops the
# broker by its PID (SIGTERM: clean shutdown, callgrind writes its profile) and prints the functions by
# inclusive and by self cost. Also, without valgrind, CPU seconds of broker and client per GB acknowledged.
#   bash benchmarks/kafka/profile.sh            # env SIZE (1024), SECONDS_LOAD (20), SKIP_BUILD=1
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SIZE="${SIZE:-1024}" SECONDS_LOAD="${SECONDS_LOAD:-20}"
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; }
[ -f /usr/include/librdkafka/rdkafka.h ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev; }
[ "${SKIP_BUILD:-0}" = 1 ] || (cd "$ROOT" && swift build -c release --product weir >&2)
WEIR="$(cd "$ROOT" && swift build -c release --show-bin-path)/weir"
WORK="$(mktemp -d /var/tmp/weir-broker-profile.XXXXXX)"
gcc -O2 -Wall -Wextra -Werror -o "$WORK/kload" "$HERE/kload.c" -lrdkafka -lm
BPID=""
cleanup() { if [ -n "$BPID" ]; then kill "$BPID" 2>/dev/null || true; wait "$BPID" 2>/dev/null || true; fi; [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)

# 1. CPU per GB, no valgrind
PORT=$(free_port)
"$WEIR" serve --data "$WORK/plain" --listen "127.0.0.1:$PORT" --metrics off --log-level warning & BPID=$!
waitport "$PORT"
b0=$(cpu "$BPID"); t0=$(date +%s.%N)
out=$( { /usr/bin/time -f "client_cpu_s=%U+%S" "$WORK/kload" produce -b "127.0.0.1:$PORT" -t cpu -s "$SIZE" -S 5 -W 1 -r 1; } 2>&1 )
b1=$(cpu "$BPID"); t1=$(date +%s.%N)
echo "$out" | grep -E 'RESULT|client_cpu'
python3 - "$out" "$b0" "$b1" "$t0" "$t1" "$tck" "$SIZE" <<'EOF'
import re, sys
out, b0, b1, t0, t1, tck, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
rps = float(re.search(r"recs_per_s=(\d+)", out).group(1))
u, s = re.search(r"client_cpu_s=([\d.]+)\+([\d.]+)", out).groups()
wall = t1 - t0
bcpu = (b1 - b0) / tck
print(f"wall {wall:.1f} s: broker {bcpu:.2f} CPU s ({100*bcpu/wall:.0f}% of a core), client {float(u)+float(s):.2f} CPU s ({100*(float(u)+float(s))/wall:.0f}%)")
print(f"≈ broker {1e6*bcpu/(rps*6):.2f} µs CPU per record ({size} B) if every record of the 6 s was acknowledged at the measured rate")
EOF
kill "$BPID"; wait "$BPID" 2>/dev/null || true; BPID=""

# 2. callgrind
PORT=$(free_port)
valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" --dump-instr=no \
  "$WEIR" serve --data "$WORK/cg" --listen "127.0.0.1:$PORT" --metrics off --log-level warning 2> "$WORK/valgrind.log" & BPID=$!
waitport "$PORT" || { cat "$WORK/valgrind.log"; exit 1; }
"$WORK/kload" produce -b "127.0.0.1:$PORT" -t cg -s "$SIZE" -S "$SECONDS_LOAD" -W 2 -r 1 || true
kill -TERM "$BPID"; wait "$BPID" 2>/dev/null || true; BPID=""
echo "== inclusive (top 45)"
callgrind_annotate --inclusive=yes "$WORK/callgrind.out" 2>/dev/null | sed -n '1,80p' | cut -c1-220 | grep -v '^$' | head -70
echo "== self (top 35)"
callgrind_annotate "$WORK/callgrind.out" 2>/dev/null | sed -n '1,60p' | cut -c1-220 | grep -v '^$' | head -50
[ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || true
