#!/usr/bin/env bash
# libFuzzer (with AddressSanitizer) over Weir's Kafka request decoder, seeded with the captured
# real-client requests of Tests/WeirBrokerTests/Fixtures. Usage: fuzz/run.sh [RUNS] (default 1,000,000).
# Exits non-zero on a crash, hang (-timeout) or sanitizer report; the reproducer is left in $WORK.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUNS="${1:-1000000}"
WORK="$(mktemp -d -t weir-fuzz.XXXXXX)"
trap 'rm -rf "$WORK/corpus"' EXIT
mkdir -p "$WORK/corpus"
python3 - "$HERE/../Tests/WeirBrokerTests/Fixtures/captured-requests.frames" "$WORK/corpus" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read(); i = k = 0
while i + 4 <= len(data):
    n = struct.unpack('>i', data[i:i+4])[0]
    open('%s/%04d' % (sys.argv[2], k), 'wb').write(data[i+4:i+4+n]); i += 4 + n; k += 1
PY
swift build -c release --package-path "$HERE" >/dev/null
BIN="$(swift build -c release --package-path "$HERE" --show-bin-path)/RequestDecoderFuzzer"
cd "$WORK"
"$BIN" -runs="$RUNS" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | tail -8
