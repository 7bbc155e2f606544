#!/usr/bin/env bash
# Every benchmark section in one run (root; builds the corpus on first use).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for s in flatten convert registry fleet fuse worker invoke; do
  echo "=== $s ==="
  "$here/$s.sh"
  echo
done
