#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests against real VMs (KVM where a guest boots
# under it, else TCG). Installs what is missing and builds the guest image first (cached).
set -euo pipefail
# shellcheck source=deploy/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_root "$@"
prepare
# One test project at a time (-m:1): both integration suites run VMs, and sharing two CPUs between them inflates the CPU
# time TCG guests measure until compile and run limits trip.
dotnet test Judge.sln -c Release --no-build -m:1 --logger "console;verbosity=normal" "$@"
