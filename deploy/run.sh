#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs hello-world programs in fresh VMs, printing
# their results with timings. Extra arguments go to `judge sandbox hello` (e.g. -l python c cpp java).
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_root "$@"
prepare
dotnet run --project src/Judge.Cli -c Release --no-build -- sandbox hello "$@"
