# Shared by the top-level scripts: root (the image build needs debootstrap and mounts), dependencies, image.
# shellcheck shell=bash

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The guest image build needs root; rather than sprinkle sudo, the whole script runs as root.
ensure_root() {
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "$0: run as root (or install sudo)" >&2; exit 1; }
    local keep
    keep=$(compgen -e | grep -E '^(JUDGE_|DOTNET_)' | paste -sd, -)
    exec sudo --preserve-env="HOME${keep:+,$keep}" env "PATH=$PATH" "$0" "$@"
  fi
}

# Installs missing Debian packages, builds (or finds in the cache) the guest image, builds the solution,
# and leaves the shell in the repository.
prepare() {
  command -v dotnet >/dev/null || { echo "$0: the .NET SDK (dotnet) must be on PATH" >&2; exit 1; }
  "$repo/deploy/install-deps.sh"
  "$repo/deploy/guest-image/build.sh" >/dev/null
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  cd "$repo" || exit 1
  dotnet build Judge.sln -c Release -v quiet -nologo
}
