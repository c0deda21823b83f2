# Shared set-up for scripts/run and scripts/test: installs what a fresh Debian machine lacks.
# Sourced, not executed. Idempotent: each step checks before it installs.

WEIR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEIR_APT_PACKAGES=(liblz4-dev zlib1g-dev libxml2-dev pkg-config)
WEIR_TEST_APT_PACKAGES=(kcat python3-venv)

weir_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

weir_need_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        weir_log "installing Debian packages: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

weir_need_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 || { echo "swift 6.2 or later is required (not found on PATH)" >&2; exit 1; }
}

# A Python venv with the real Kafka clients used by Tests/ClientInterop (pinned versions).
weir_need_venv() {
    local venv="$WEIR_ROOT/.venv"
    local req="$WEIR_ROOT/Tests/ClientInterop/requirements.txt"
    [ -f "$req" ] || return 0
    if [ ! -x "$venv/bin/python" ]; then
        weir_log "creating Python venv for the client interop tests"
        python3 -m venv "$venv"
    fi
    if ! cmp -s "$req" "$venv/.installed-requirements" 2>/dev/null; then
        weir_log "installing client interop requirements"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
        cp "$req" "$venv/.installed-requirements"
    fi
}
