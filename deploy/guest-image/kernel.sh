#!/usr/bin/env bash
# Builds the kernel layer: an uncompressed vmlinux (QEMU boots an ELF through its PVH entry,
# skipping firmware and the in-kernel decompressor) plus the modules the initramfs loads.
# Called by build.sh as: kernel.sh OUT_DIR   (env: JUDGE_CACHE_DIR, SUITE, MIRROR, SECURITY_MIRROR)
# Never installs anything on the host: the kernel .deb is only downloaded and unpacked.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

out=${1:?usage: kernel.sh OUT_DIR}
: "${JUDGE_CACHE_DIR:?}" "${SUITE:?}" "${MIRROR:?}" "${SECURITY_MIRROR?}"
KERNEL_PACKAGE=linux-image-cloud-amd64   # the cloud flavour: virtio drivers, no hardware zoo, fast boot

logfile="$JUDGE_CACHE_DIR/logs/kernel.log"
mkdir -p "$JUDGE_CACHE_DIR/logs" "$JUDGE_CACHE_DIR/tmp"
: >"$logfile"
work=$(mktemp -d "$JUDGE_CACHE_DIR/tmp/kernel.XXXXXX")
trap 'remove_tree "$work"' EXIT

# --- download ------------------------------------------------------------------------------------
# A private apt configuration (own lists, no host sources or pinning) so the kernel comes from the
# same mirror and suite as the root filesystem, whatever the host's apt is set up for.
aptdir="$JUDGE_CACHE_DIR/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/sources.list.d" "$aptdir/preferences.d"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f "$keyring" ]] || die "$keyring missing (install debian-archive-keyring; see deploy/install-deps.sh)"
{
  echo "deb [signed-by=$keyring] $MIRROR $SUITE main"
  echo "deb [signed-by=$keyring] $MIRROR $SUITE-updates main"
  [[ -z "$SECURITY_MIRROR" ]] || echo "deb [signed-by=$keyring] $SECURITY_MIRROR $SUITE-security main"
} >"$aptdir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/sources.list"
  -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=$aptdir/preferences.d"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::State::status=/dev/null"
  -o "Dir::Cache=$aptdir/cache"
  -o "APT::Architecture=amd64"
  -o "APT::Architectures=amd64"
  -o "Acquire::Languages=none"
  -o "APT::Sandbox::User=root"   # downloads land in our scratch dir, which _apt cannot write
)
log "kernel: updating package lists from $MIRROR ($SUITE)"
run_logged "$logfile" apt-get "${apt_opts[@]}" -q update

# The metapackage only depends on the versioned image package (linux-image-6.1.0-NN-cloud-amd64).
image_pkg=$(apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests "$KERNEL_PACKAGE" \
  | awk '!found && $1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; found = 1 }')
[[ -n "$image_pkg" ]] || die "cannot resolve the image package behind $KERNEL_PACKAGE"
log "kernel: downloading $image_pkg"
(cd "$work" && run_logged "$logfile" apt-get "${apt_opts[@]}" -q download "$image_pkg")
deb=$(ls "$work"/"$image_pkg"_*.deb)
dpkg-deb -x "$deb" "$work/x"

moddir=
for d in "$work"/x/lib/modules/* "$work"/x/usr/lib/modules/*; do
  [[ -f "$d/modules.builtin" ]] && { moddir=$d; break; }
done
[[ -n "$moddir" ]] || die "no /lib/modules/* in $deb"
release=${moddir##*/}
vmlinuz="$work/x/boot/vmlinuz-$release"
[[ -f "$vmlinuz" ]] || die "no /boot/vmlinuz-$release in $deb"

# --- extract-vmlinux -----------------------------------------------------------------------------
# A bzImage = real-mode setup sectors + protected-mode code that carries the compressed vmlinux.
# The x86 boot protocol header gives the payload's exact position, so no magic-byte guessing:
#   0x1f1 setup_sects (u8, 0 means 4); protected-mode code starts at (setup_sects + 1) * 512
#   0x248 payload_offset (u32, relative to protected-mode code), 0x24c payload_length (u32)
le_u() { od -An -t "u$2" -j "$1" -N "$2" --endian=little "$vmlinuz" | tr -d ' '; }
[[ "$(dd if="$vmlinuz" bs=1 skip=514 count=4 status=none)" == HdrS ]] || die "$vmlinuz is not a bzImage"
setup_sects=$(le_u $((0x1f1)) 1); ((setup_sects)) || setup_sects=4
payload_offset=$(le_u $((0x248)) 4)
payload_length=$(le_u $((0x24c)) 4)
start=$(((setup_sects + 1) * 512 + payload_offset))
dd if="$vmlinuz" of="$work/payload" bs=64K iflag=skip_bytes,count_bytes \
  skip="$start" count="$payload_length" status=none

# The kernel build appends the uncompressed size (4 bytes) to every format except gzip, which
# carries it itself; strip it so strict decompressors do not reject "trailing garbage".
magic=$(od -An -tx1 -N6 "$work/payload" | tr -d ' \n')
case "$magic" in
  1f8b*)         fmt=gzip;  cat "$work/payload" >"$work/stream" ;;
  fd377a585a00*) fmt=xz;    head -c -4 "$work/payload" >"$work/stream" ;;
  28b52ffd*)     fmt=zstd;  head -c -4 "$work/payload" >"$work/stream" ;;
  425a68*)       fmt=bzip2; head -c -4 "$work/payload" >"$work/stream" ;;
  5d0000*)       fmt=lzma;  head -c -4 "$work/payload" >"$work/stream" ;;
  894c5a*)       fmt=lzo;   head -c -4 "$work/payload" >"$work/stream" ;;
  02214c18*)     fmt=lz4;   head -c -4 "$work/payload" >"$work/stream" ;;
  *) die "unknown kernel payload compression (magic $magic)" ;;
esac
case "$fmt" in
  gzip)  gzip -dc "$work/stream" ;;
  xz)    xz -dc --single-stream "$work/stream" ;;
  zstd)  zstd -dcq "$work/stream" ;;
  bzip2) bzip2 -dc "$work/stream" ;;
  lzma)  xz -dc --format=lzma "$work/stream" ;;
  lzo)   lzop -dc "$work/stream" ;;
  lz4)   lz4 -dc -l "$work/stream" ;;
esac >"$work/vmlinux" || die "could not decompress the $fmt kernel payload"
elf_header=$(readelf -h "$work/vmlinux" 2>/dev/null) || true
[[ "$elf_header" =~ Type:\ *EXEC ]] || die "the decompressed $fmt payload is not an ELF executable"
# QEMU finds the PVH entry through this ELF note; without it -kernel vmlinux cannot boot.
[[ "$(readelf -n "$work/vmlinux" 2>/dev/null)" == *Xen* ]] || die "vmlinux has no Xen/PVH ELF note (needs CONFIG_PVH)"
log "kernel: $release, extracted vmlinux from a $fmt bzImage ($(du -m "$work/vmlinux" | cut -f1) MiB)"

# --- modules -------------------------------------------------------------------------------------
# modules.dep is not in the package (its postinst runs depmod), and depmod would need kmod on the
# host; the same information is in each module's own .modinfo section ("depends=a,b"), which
# modpost computed from the symbols the module uses. Module names treat '-' and '_' alike.
declare -A path_of=() loaded=()
while IFS= read -r -d '' f; do
  name=${f##*/}; name=${name%%.ko*}; path_of[${name//-/_}]=$f
done < <(find "$moddir" -name '*.ko*' -print0)
builtin_names=" $(sed 's#.*/##; s/\.ko$//; s/-/_/g' "$moddir/modules.builtin" | tr '\n' ' ') "

mkdir -p "$work/out/modules"
order=()
# Depth-first: a module is appended after everything it depends on, which is the order busybox
# insmod (no dependency resolution of its own) has to load them in.
add_module() {
  local name=$1 src dst dep
  [[ -z "${loaded[$name]:-}" ]] || return 0
  loaded[$name]=1
  src=${path_of[$name]:-}
  if [[ -z "$src" ]]; then
    [[ "$builtin_names" == *" $name "* ]] && { log "kernel: $name is built in"; return 0; }
    die "module $name is neither built into $release nor shipped as a module"
  fi
  dst="$work/out/modules/$name.ko"
  # Decompressed here: in-kernel module decompression is not something insmod can count on.
  case "$src" in
    *.ko.xz)  xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -dcq "$src" >"$dst" ;;
    *.ko.gz)  gzip -dc "$src" >"$dst" ;;
    *.ko)     cp "$src" "$dst" ;;
    *) die "unexpected module file $src" ;;
  esac
  for dep in $(tr '\0' '\n' <"$dst" | sed -n 's/^depends=//p' | tr ',' ' '); do
    add_module "${dep//-/_}"
  done
  order+=("$name")
}
while read -r want; do
  want=${want%%#*}; want=${want//[[:space:]]/}
  [[ -z "$want" ]] || add_module "${want//-/_}"
done <"$here/modules.txt"
printf '%s.ko\n' "${order[@]}" >"$work/out/modules/load-order"
log "kernel: modules in load order: ${order[*]}"

mv "$work/vmlinux" "$work/out/vmlinux"
echo "$release" >"$work/out/kernel-release"
dpkg-deb -f "$deb" Package Version >"$work/out/kernel-package"
find "$work/out" -type f -exec chmod a-w {} +
# Atomic publish: the layer either exists complete or not at all.
mv -T "$work/out" "$out"
