#!/usr/bin/env bash
# Screenshots a report.html in headless Chromium, offline, so a person (or a
# session with an image viewer) can look at what the report shows.
#
#   scripts/screenshot-report.sh [REPORT.html] [OUT.png] [WIDTHxHEIGHT]
#
# With no REPORT, renders a sample first (scripts/sample-report.ts on
# scenarios/default.yaml with an SLO of p99=25s,rejected=1%). Defaults:
# OUT /tmp/report.png, size 1400x4200 (Chromium shoots the window, not the
# page, so make it tall enough). Needs Debian's chromium:
#   apt-get update && apt-get install -y chromium
set -euo pipefail
cd "$(dirname "$0")/.."

report="${1:-}"
out="${2:-/tmp/report.png}"
size="${3:-1400x4200}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "screenshot-report: chromium not found; install it with: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
if [[ ! "$size" =~ ^[0-9]+x[0-9]+$ ]]; then
  echo "screenshot-report: size must be WIDTHxHEIGHT, got \"$size\"" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ -z "$report" ]]; then
  npx tsx scripts/sample-report.ts --out "$tmp/sample" --slo 'p99=25s,rejected=1%'
  report="$tmp/sample/report.html"
fi
if [[ ! -f "$report" ]]; then
  echo "screenshot-report: no such file: $report" >&2
  exit 2
fi

# Every host resolves to nothing: a report that needed the network would show
# broken charts here instead of quietly fetching.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --host-resolver-rules='MAP * ~NOTFOUND' --hide-scrollbars \
  --user-data-dir="$tmp/profile" --window-size="${size/x/,}" \
  --screenshot="$out" "file://$(realpath "$report")" 2>"$tmp/chromium.log" || {
  cat "$tmp/chromium.log" >&2
  exit 1
}
echo "$out"
