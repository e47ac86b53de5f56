#!/usr/bin/env bash
# Checks that two vigil builds report the same findings: a performance change must not change
# what is found. Compares rule, path, span, message (first 80 characters), flow length and
# suppression of every finding, for each path given.
#
#   benches/same-findings.sh OLD_VIGIL NEW_VIGIL PATH...
#
# Exit 0 when every path gives the same findings, 1 otherwise (the differences are printed).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 OLD_VIGIL NEW_VIGIL PATH..." >&2
  exit 2
fi
old=$1 new=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
summarize() {
  # vigil exits 1 when it finds something: that is not a failure here.
  "$1" scan --format json --no-cache "$2" 2>/dev/null | python3 -c '
import json, sys
for f in json.load(sys.stdin)["findings"]:
    print(f["rule_id"], f["path"], f["start"]["line"], f["start"]["column"], f["end"]["line"],
          f["end"]["column"], f["message"][:80], len(f.get("flow") or []),
          f.get("suppression") is not None)
' | sort || true
}
status=0
for p in "$@"; do
  summarize "$old" "$p" > "$tmp/old"
  summarize "$new" "$p" > "$tmp/new"
  echo "$p: $(wc -l < "$tmp/old") findings before, $(wc -l < "$tmp/new") after"
  if ! diff "$tmp/old" "$tmp/new"; then
    status=1
  fi
done
exit $status
