#!/usr/bin/env bash
# Builds the judge guest image (kernel, initramfs with the agent, read-only root) from Debian
# packages, or finds it in the cache. Prints the image directory as the last line of stdout;
# progress goes to stderr.
#
#   deploy/guest-image/build.sh
#
# Environment:
#   JUDGE_CACHE_DIR               cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/judge); outside
#                                 the clone so CI runs on the same machine reuse it
#   JUDGE_DEBIAN_MIRROR           default http://deb.debian.org/debian
#   JUDGE_DEBIAN_SECURITY_MIRROR  default http://deb.debian.org/debian-security; empty = no security suite
#   JUDGE_AGENT_BIN               use this prebuilt static agent instead of `make -C src/Judge.GuestAgent`
#   JUDGE_IMAGE_KEEP              how many image versions to keep in the cache (default 3)
#   JUDGE_VERBOSE=1               stream debootstrap/apt/mksquashfs output instead of logging it
#
# Cache layout (every directory appears by an atomic rename, so it is complete or absent):
#   layers/rootfs-<key>/   rootfs.sqfs, languages.tsv, packages.tsv    (minutes to build)
#   layers/kernel-<key>/   vmlinux, modules/, kernel-release, kernel-package
#   guest-image/<version>/ vmlinux, initramfs.cpio.gz, rootfs.sqfs, manifest.json, packages.tsv,
#                          judge-agent (run on the host by namespace sandboxes), root/ (empty: a worker
#                          mounts rootfs.sqfs there, read-only, as the root of its namespace sandboxes)
#                          (vmlinux and rootfs.sqfs are hard links into the layers)
#   debs/, apt/            downloaded packages and package lists, reused across rebuilds
#   logs/                  output of the last layer builds
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
started=$SECONDS

PROTOCOL_VERSION=4   # docs/agent-protocol.md; the host refuses images with another version
SUITE=bookworm
MIRROR=${JUDGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${JUDGE_DEBIAN_SECURITY_MIRROR-http://deb.debian.org/debian-security}
CACHE=${JUDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/judge}
AGENT_DIR="$repo/src/Judge.GuestAgent"
BUSYBOX=/bin/busybox   # from busybox-static
export JUDGE_CACHE_DIR=$CACHE SUITE MIRROR SECURITY_MIRROR

[[ -x "$BUSYBOX" ]] || die "$BUSYBOX missing (install busybox-static; see deploy/install-deps.sh)"
[[ "$(readelf -l "$BUSYBOX")" != *INTERP* ]] || die "$BUSYBOX is dynamically linked; install busybox-static"

# --- cache keys ----------------------------------------------------------------------------------
# Each layer's key covers exactly what shapes its content, so editing the agent or /init never
# rebuilds the root filesystem. The mirror is not part of a key: any mirror serves the same suite.
rootfs_key=$(hash_string "$SUITE $(hash_files "$here/lib.sh" "$here/rootfs.sh" "$here/packages.txt")" | cut -c1-16)
kernel_key=$(hash_string "$SUITE $(hash_files "$here/lib.sh" "$here/kernel.sh" "$here/modules.txt")" | cut -c1-16)

# Sources only (build products excluded), with their relative paths.
agent_source_hash() {
  (cd "$AGENT_DIR" && find . -path ./build -prune -o -type f ! -name '*.o' ! -name '*.d' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
if [[ -n "${JUDGE_AGENT_BIN:-}" ]]; then
  [[ -f "$JUDGE_AGENT_BIN" ]] || die "JUDGE_AGENT_BIN=$JUDGE_AGENT_BIN does not exist"
  agent_hash=$(hash_files "$JUDGE_AGENT_BIN")
else
  [[ -f "$AGENT_DIR/Makefile" ]] || die "no $AGENT_DIR/Makefile: cannot build the guest agent (or set JUDGE_AGENT_BIN)"
  agent_hash=$(agent_source_hash)
fi
version=$(hash_string "rootfs=$rootfs_key kernel=$kernel_key agent=$agent_hash protocol=$PROTOCOL_VERSION
$(hash_files "$here/init" "$here/build.sh" "$BUSYBOX")" | cut -c1-16)

image_dir="$CACHE/guest-image/$version"
rootfs_dir="$CACHE/layers/rootfs-$rootfs_key"
kernel_dir="$CACHE/layers/kernel-$kernel_key"

link_artifact() {
  # Replace the symlink atomically so a reader never sees it missing.
  mkdir -p "$repo/artifacts"
  ln -sfn "$image_dir" "$repo/artifacts/.guest-image.$$"
  mv -T "$repo/artifacts/.guest-image.$$" "$repo/artifacts/guest-image"
  touch "$image_dir"   # recently used: keeps it out of pruning
}

if [[ -f "$image_dir/manifest.json" ]]; then
  link_artifact
  log "image $version is up to date ($((SECONDS - started)) s)"
  echo "$image_dir"
  exit 0
fi

# --- lock ----------------------------------------------------------------------------------------
# One build per cache at a time; a second build waits, then finds the first one's result.
mkdir -p "$CACHE/guest-image" "$CACHE/layers" "$CACHE/tmp" "$CACHE/logs"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "another build holds $CACHE/.lock; waiting"
  flock 9
fi
if [[ -f "$image_dir/manifest.json" ]]; then
  link_artifact
  log "image $version was built by a concurrent build"
  echo "$image_dir"
  exit 0
fi
# Holding the lock, anything half-done in the cache is left over from a killed build.
for stale in "$CACHE"/tmp/* "$CACHE"/guest-image/.tmp-*; do remove_tree "$stale"; done
for layer in "$rootfs_dir" "$kernel_dir"; do
  [[ ! -d "$layer" || -f "$layer/.complete" ]] || remove_tree "$layer"
done

work=$(mktemp -d "$CACHE/tmp/image.XXXXXX")
tmp_image=
trap 'remove_tree "$work"; [[ -z "$tmp_image" ]] || remove_tree "$tmp_image"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building image $version (rootfs layer $rootfs_key, kernel layer $kernel_key) in $CACHE"

# --- layers --------------------------------------------------------------------------------------
if [[ -f "$rootfs_dir/.complete" ]]; then
  log "rootfs layer $rootfs_key: cached"
else
  t=$SECONDS
  log "rootfs layer $rootfs_key: building (several minutes)"
  bash "$here/rootfs.sh" "$rootfs_dir"
  touch "$rootfs_dir/.complete"
  log "rootfs layer $rootfs_key: built in $((SECONDS - t)) s"
fi
# Namespace sandboxes once had the squashfs unpacked here; they mount it now.
remove_tree "$rootfs_dir/tree"
if [[ -f "$kernel_dir/.complete" ]]; then
  log "kernel layer $kernel_key: cached"
else
  t=$SECONDS
  bash "$here/kernel.sh" "$kernel_dir"
  touch "$kernel_dir/.complete"
  log "kernel layer $kernel_key: built in $((SECONDS - t)) s"
fi

# --- agent ---------------------------------------------------------------------------------------
if [[ -n "${JUDGE_AGENT_BIN:-}" ]]; then
  agent_bin=$JUDGE_AGENT_BIN
  log "agent: using prebuilt $agent_bin"
else
  log "agent: make -C $AGENT_DIR"
  make -C "$AGENT_DIR" >&2 || die "building the guest agent failed"
  agent_bin="$AGENT_DIR/build/judge-agent"
  [[ -f "$agent_bin" ]] || die "make -C $AGENT_DIR did not produce build/judge-agent"
  # The image version names the agent sources; a binary built from other ones must not carry it.
  [[ "$(agent_source_hash)" == "$agent_hash" ]] \
    || die "the agent sources changed while building; run build.sh again"
fi
# The agent runs as PID 1 before anything else; it must not depend on the root's libc.
headers=$(readelf -lh "$agent_bin" 2>/dev/null) || die "$agent_bin is not an ELF binary"
[[ "$headers" != *INTERP* ]] || die "$agent_bin is dynamically linked; the guest needs a static agent"

# --- initramfs -----------------------------------------------------------------------------------
stage="$work/initramfs"
mkdir -p "$stage"/{bin,dev,proc,sys,run,newroot,lib/modules}
cp "$BUSYBOX" "$stage/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ "$applet" == busybox ]] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$here/init" "$stage/init"
cp "$kernel_dir"/modules/* "$stage/lib/modules/"
install -m 0755 "$agent_bin" "$stage/judge-agent"
echo "$version" >"$stage/image-version"
# The kernel opens /dev/console for /init before devtmpfs exists; without the node, early
# failure messages would go nowhere. Creating a device node needs root.
if ((EUID == 0)); then
  mknod -m 0600 "$stage/dev/console" c 5 1
else
  log "warning: not root, so no /dev/console in the initramfs (early /init errors will be invisible)"
fi
chmod -R u+w,go-w "$stage"
# Fixed timestamps and ordering make the archive a function of its contents.
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
  | cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) \
  | gzip -9 -n >"$work/initramfs.cpio.gz"

# --- assemble ------------------------------------------------------------------------------------
tmp_image=$(mktemp -d "$CACHE/guest-image/.tmp-$version.XXXXXX")
chmod 0755 "$tmp_image"   # mktemp makes it private; the judge service may run as another user
# Hard links: the big files are shared by all images built on the same layers (falls back to a
# copy if the cache spans filesystems).
ln "$rootfs_dir/rootfs.sqfs" "$tmp_image/rootfs.sqfs" 2>/dev/null || cp "$rootfs_dir/rootfs.sqfs" "$tmp_image/"
ln "$kernel_dir/vmlinux" "$tmp_image/vmlinux" 2>/dev/null || cp "$kernel_dir/vmlinux" "$tmp_image/"
mv "$work/initramfs.cpio.gz" "$tmp_image/"
cp "$rootfs_dir/packages.tsv" "$tmp_image/packages.tsv"
install -m 0755 "$agent_bin" "$tmp_image/judge-agent"
mkdir -m 0755 "$tmp_image/root"

json_str() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}
  printf '"%s"' "$s"
}
size_of() { stat -c %s "$tmp_image/$1"; }
{
  printf '{\n'
  printf '  "version": %s,\n' "$(json_str "$version")"
  printf '  "protocolVersion": %d,\n' "$PROTOCOL_VERSION"
  printf '  "kernelRelease": %s,\n' "$(json_str "$(cat "$kernel_dir/kernel-release")")"
  printf '  "kernelPackage": %s,\n' "$(json_str "$(sed -n 's/^Package: //p' "$kernel_dir/kernel-package") $(sed -n 's/^Version: //p' "$kernel_dir/kernel-package")")"
  printf '  "suite": %s,\n' "$(json_str "$SUITE")"
  printf '  "createdUtc": %s,\n' "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  printf '  "layers": {"rootfs": %s, "kernel": %s},\n' \
    "$(json_str "rootfs-$rootfs_key")" "$(json_str "kernel-$kernel_key")"
  printf '  "languages": {'
  sep=
  while IFS=$'\t' read -r lang ver; do
    printf '%s\n    %s: %s' "$sep" "$(json_str "$lang")" "$(json_str "$ver")"
    sep=,
  done <"$rootfs_dir/languages.tsv"
  printf '\n  },\n'
  printf '  "files": {\n'
  printf '    "vmlinux": {"bytes": %d},\n' "$(size_of vmlinux)"
  printf '    "initramfs.cpio.gz": {"bytes": %d},\n' "$(size_of initramfs.cpio.gz)"
  printf '    "rootfs.sqfs": {"bytes": %d}\n' "$(size_of rootfs.sqfs)"
  printf '  }\n}\n'
} >"$tmp_image/manifest.json"

# Publish by rename: readers see the whole image or none of it.
mv -T "$tmp_image" "$image_dir"
tmp_image=

# --- prune ---------------------------------------------------------------------------------------
# Keep the most recently used images and the layers they use. Files of a pruned image that a
# running VM still has open stay valid until it closes them.
keep=${JUDGE_IMAGE_KEEP:-3}
mapfile -t images < <(ls -1dt "$CACHE"/guest-image/*/ 2>/dev/null)
for old in "${images[@]:keep}"; do
  [[ "${old%/}" == "$image_dir" ]] || { log "pruning old image $(basename "$old")"; remove_tree "${old%/}"; }
done
used_layers=" $(cat "$CACHE"/guest-image/*/manifest.json | grep -o '"\(rootfs\|kernel\)-[0-9a-f]*"' | tr -d '"' | tr '\n' ' ') "
for layer in "$CACHE"/layers/*/; do
  layer=${layer%/}
  [[ "$used_layers" == *" ${layer##*/} "* ]] || { log "pruning unused layer ${layer##*/}"; remove_tree "$layer"; }
done

link_artifact
log "image $version ready in $((SECONDS - started)) s: initramfs $(($(stat -c %s "$image_dir/initramfs.cpio.gz") / 1024)) KiB, rootfs $(($(stat -c %s "$image_dir/rootfs.sqfs") / 1048576)) MiB"
echo "$image_dir"
