#!/usr/bin/env bash
# Directory benchmark: loads 20,000 generated people (plus the fixtures) into a
# throw-away Samba AD, then runs the internal/ad benchmarks against it: rsatui's
# paged search vs ldapsearch (same filter, attributes, page size), cancel
# latency, and the live heap while streaming. Needs root and the Samba packages
# (.ci/run installs them). The load takes 3-4 minutes on 2 cores.
#
#   bash bench/ad-search.sh            # AD_USERS=20000 by default
set -euo pipefail
cd "$(dirname "$0")/.."
export AD_ROOT=${AD_ROOT:-$(mktemp -d)}
export AD_USERS=${AD_USERS:-20000}
trap '.ci/ad-server stop || true' EXIT
.ci/ad-server start
# shellcheck disable=SC1091
. "$AD_ROOT/env"
go test ./internal/ad/ -run '^$' -bench 'SearchVsLdapsearch|Cancel|StreamingMemory' -benchtime 5x -count 1 | tee "$AD_ROOT/bench.txt"
