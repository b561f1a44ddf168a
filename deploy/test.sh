#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests against real VMs (KVM where a guest boots
# under it, else TCG). Installs what is missing and builds the guest image first (cached).
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_root "$@"
prepare
dotnet test Judge.sln -c Release --no-build --logger "console;verbosity=normal" "$@"
