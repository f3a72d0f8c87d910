#!/usr/bin/env bash
# Copies the alert rules and dashboards into the chart (Helm reads files only inside the chart).
# usage: scripts/sync-chart.sh [--check]   (--check: fail if the chart's copies differ)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rules" "$tmp/dashboards"
cp alerts/rules/*.yaml "$tmp/rules/"
cp dashboards/*.json "$tmp/dashboards/"
if [ "${1:-}" = "--check" ]; then
  if diff -r "$tmp" chart/files >/dev/null; then
    echo "chart/files is in sync with alerts/rules and dashboards"
  else
    diff -r "$tmp" chart/files || true
    echo "chart/files differs from alerts/rules or dashboards: run scripts/sync-chart.sh" >&2
    exit 1
  fi
else
  rm -rf chart/files
  cp -r "$tmp" chart/files
fi
