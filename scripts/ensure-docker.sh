#!/usr/bin/env bash
# Makes sure a Docker engine answers, docker-compose is installed and the dso test image exists.
# Installs Debian's docker.io, docker-compose and busybox-static when they are missing, and starts dockerd
# (without iptables, which these machines do not allow) when no engine answers. Safe to run again.
set -euo pipefail

log() { printf '==> %s\n' "$*" >&2; }

need_packages=()
command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need_packages+=(docker-compose)
dpkg -s busybox-static >/dev/null 2>&1 || need_packages+=(busybox-static)

if [ "${#need_packages[@]}" -gt 0 ]; then
  log "Installing ${need_packages[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

if ! docker version >/dev/null 2>&1; then
  log "No Docker engine answers; starting dockerd"
  mkdir -p /var/log
  nohup dockerd --iptables=false --ip6tables=false >/var/log/dso-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker version >/dev/null 2>&1 && break
    sleep 1
  done
  docker version >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/dso-dockerd.log"; exit 1; }
fi

# The test and example image: busybox on scratch, built locally because nothing can be pulled here.
if ! docker image inspect dso-busybox:latest >/dev/null 2>&1; then
  log "Building the local image dso-busybox:latest"
  context=$(mktemp -d)
  cp /bin/busybox "$context/busybox"
  cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/mkdir", "-p", "/tmp", "/etc", "/var/www"]
RUN ["/bin/sh", "-c", "echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'app:x:1000:1000:app:/home/app:/bin/sh' >> /etc/passwd && echo 'root:x:0:' > /etc/group && echo 'app:x:1000:' >> /etc/group && chmod 1777 /tmp"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t dso-busybox:latest "$context" >/dev/null
  rm -rf "$context"
fi
log "Docker engine $(docker version --format '{{.Server.Version}}') is ready"
