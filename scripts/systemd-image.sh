#!/usr/bin/env bash
# Builds the local Docker image dso-systemd:latest: a minimal Debian bookworm whose CMD is systemd, so that a
# test can run dso-agent.service under a real systemd as PID 1. Does nothing when the image exists.
#
# The root file system comes from debootstrap (installed from Debian's packages when missing) with the Debian
# mirror of this machine's apt sources, because nothing can be pulled from a registry here. DSO_DEBIAN_MIRROR
# overrides the mirror. Needs root (debootstrap) and a running Docker engine. The flags that boot a container
# of it are in tests/Dso.Cli.Tests/Agent/Runtime/SystemdContainer.cs.
set -euo pipefail

image=dso-systemd:latest
suite=bookworm

log() { printf '==> %s\n' "$*" >&2; }

if docker image inspect "$image" >/dev/null 2>&1; then
  log "The image $image exists"
  exit 0
fi

# Prints the first Debian archive URI of the apt sources that serves $suite itself (not $suite-security or
# $suite-updates), from deb822 .sources files or one-line .list files.
find_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$suite" '
      function finish() {
        if (!found && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") { split(uris, list, " "); print list[1]; found = 1 }
        types = ""; suites = ""; uris = ""
      }
      /^[ \t]*$/ { finish(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      END { finish() }
    ' "$file"
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -E 's/\[[^]]*\]//' "$file" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
  done
}

mirror=${DSO_DEBIAN_MIRROR:-$(find_mirror | head -n 1)}
if [ -z "$mirror" ]; then
  log "No Debian mirror for $suite was found in /etc/apt/sources.list or /etc/apt/sources.list.d; set DSO_DEBIAN_MIRROR to one, such as http://deb.debian.org/debian"
  exit 1
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  log "Installing debootstrap from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
fi

work=$(mktemp -d /var/tmp/dso-systemd-image.XXXXXX)
# debootstrap mounts /proc and /sys inside the root file system while it installs, and may leave them behind
# when it is interrupted. The cleanup unmounts them first and keeps rm on one file system.
cleanup() {
  awk -v prefix="$work/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount; do
    umount "$mount" || umount -l "$mount" || true
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"

log "Building a $suite root file system with systemd from $mirror (debootstrap, about 1-2 minutes)"
started=$SECONDS
if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  log "debootstrap of $suite from $mirror failed (log above). Check that the mirror answers, or set DSO_DEBIAN_MIRROR."
  exit 1
fi

# A container has no consoles, udev or kernel file systems to set up, so the units for them would only fail or wait.
for unit in getty@tty1.service console-getty.service systemd-remount-fs.service systemd-udevd.service \
  systemd-udev-trigger.service systemd-firstboot.service systemd-modules-load.service sys-kernel-config.mount \
  sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount proc-sys-fs-binfmt_misc.automount; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

# An empty machine-id makes systemd create a fresh one in memory at each boot.
: >"$rootfs/etc/machine-id"

# Downloaded packages, package lists, documentation and translations are not needed at run time.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/*

# docker import (Docker 20.10) accepts no STOPSIGNAL change, so a short docker build adds it to the imported image.
# On SIGRTMIN+3 systemd shuts down in order (systemd(1)). With container=docker, systemd detects that it runs in a container.
tar -C "$rootfs" -c . | docker import --change 'ENV container=docker' - "$image-rootfs" >/dev/null
mkdir "$work/context"
cat >"$work/context/Dockerfile" <<DOCKERFILE
FROM $image-rootfs
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
DOCKERFILE
if ! DOCKER_BUILDKIT=0 docker build -q -t "$image" "$work/context" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  log "docker build of $image failed (output above)"
  exit 1
fi
docker image rm "$image-rootfs" >/dev/null
log "Built $image in $((SECONDS - started)) s ($(docker image inspect --format '{{.Size}}' "$image") bytes)"
