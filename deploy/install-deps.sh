#!/usr/bin/env bash
# Installs the Debian packages a host needs to build the guest image and run sandbox VMs.
# Idempotent: asks dpkg first and touches apt only when something is missing, so a second
# run costs one dpkg-query call. Run as root, or as a user with sudo.
#
#   deploy/install-deps.sh            # install what is missing
#   deploy/install-deps.sh --check    # exit 1 (and list them) if anything is missing
set -euo pipefail

# One package per line; a trailing comment says why we need it. Add services (rabbitmq-server,
# postgresql, ...) to the list that fits, or as a new list appended to ALL_PACKAGES.
SANDBOX_PACKAGES=(
  qemu-system-x86      # qemu-system-x86_64, -M microvm; its Depends bring seabios/qemu-system-data (bios-microvm.bin)
)
IMAGE_BUILD_PACKAGES=(
  debootstrap          # builds the guest root filesystem
  debian-archive-keyring  # debootstrap and our private apt config verify the mirror with it
  squashfs-tools       # mksquashfs: the read-only root
  busybox-static       # the initramfs userland (/init runs under busybox sh)
  cpio                 # packs the initramfs
  gzip                 # compresses the initramfs
  zstd                 # squashfs compression; kernel payloads and modules may be zstd
  xz-utils             # kernel payloads and modules may be xz
  bzip2                # extract-vmlinux handles every payload format the kernel supports
  lz4
  lzop
  binutils             # readelf validates the extracted vmlinux and the static agent
  dpkg                 # dpkg-deb unpacks the kernel package (never installed on the host)
  apt                  # apt-get download of the kernel package
  gcc                  # builds the guest agent (static)
  make
  libc6-dev            # static libc for the agent
  e2fsprogs
  util-linux           # flock, mount, findmnt
  coreutils
)
FLEET_PACKAGES=(
  curl                 # the quick start waits for the API's health endpoint
  postgresql           # PostgreSQL 15 server (initdb, pg_ctl, postgres); deploy/services.sh runs our own cluster
  postgresql-client    # psql, pg_isready
  rabbitmq-server      # RabbitMQ 3.10 and its Erlang runtime; deploy/services.sh runs our own node
  iproute2             # ss: deploy/services.sh checks that servers listen on loopback only
)
ALL_PACKAGES=("${SANDBOX_PACKAGES[@]}" "${IMAGE_BUILD_PACKAGES[@]}" "${FLEET_PACKAGES[@]}")

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# Only a fully configured package counts; absent, half-installed or config-files-only ones are
# missing.
missing=()
for pkg in "${ALL_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#ALL_PACKAGES[@]} packages present" >&2
  exit 0
fi

echo "install-deps: missing: ${missing[*]}" >&2
if ((check_only)); then
  exit 1
fi

if ((EUID == 0)); then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi

# Recommends would pull in GUI/OVMF/etc. for qemu; everything we need is in Depends.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2

# Make sure the result is usable, not just installed.
qemu-system-x86_64 -machine help | grep -q '^microvm' \
  || { echo "install-deps: qemu-system-x86_64 has no microvm machine type" >&2; exit 1; }
echo "install-deps: done" >&2
