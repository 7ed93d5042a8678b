#!/usr/bin/env bash
# Quick start: installs the system packages Aurum needs (only if missing), builds the release
# binary, runs `aurum demo` (creates the Gold demo tables of schemas/ in ./aurum-data, override
# with AURUM_DATA, and prints a few aggregate queries over them), then starts the PostgreSQL
# protocol server on 127.0.0.1:5433 (AURUM_PORT) and prints the psql command to connect.
# Ctrl-C stops the server. Extra arguments go to `aurum demo` (e.g. `bash demo.sh --scale 10`).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")"

step() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v swift >/dev/null 2>&1; then
    echo "error: the Swift toolchain (6.0 or later) is not on PATH; see https://www.swift.org/install/linux/" >&2
    exit 1
fi

missing=()
for package in libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libpq-dev pkg-config postgresql-client; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    step "Installing ${missing[*]}"
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step "Building (release)"
swift build -c release --product aurum

data="${AURUM_DATA:-./aurum-data}"
step "Loading the demo tables and running a few queries"
.build/release/aurum demo --data "$data" "$@"

step "Starting the server (Ctrl-C stops it)"
exec .build/release/aurum serve --data "$data" --port "${AURUM_PORT:-5433}" --http-port "${AURUM_HTTP_PORT:-8080}"
