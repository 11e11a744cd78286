#!/usr/bin/env bash
# Make the Debian bookworm base image locally, for hosts that cannot pull from a registry
# (tests, CI, air-gapped sites). Production may use debian:bookworm-slim from a registry instead:
# every Dockerfile takes it through `ARG BASE_IMAGE`.
#
#   images/base/bootstrap.sh [TAG]        (default TAG: course-base:bookworm)
#
# Env: DEBIAN_MIRROR (default http://deb.debian.org/debian); EXTRA_CA_CERT: a PEM file of one
# or more CA certificates the image must trust besides Debian's (a site's TLS-inspecting proxy,
# or simply the building host's own bundle, /etc/ssl/certs/ca-certificates.crt); default: none.
set -euo pipefail

tag="${1:-course-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag exists"
    exit 0
fi
# mmdebstrap builds the root file system. On a fresh Debian/Ubuntu host where we are root (or
# may sudo without a password), install it; anywhere else say the one command to run.
if ! command -v mmdebstrap >/dev/null; then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        echo "mmdebstrap is missing: installing it (apt-get install mmdebstrap)"
        apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap
    elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
        echo "mmdebstrap is missing: installing it (sudo apt-get install mmdebstrap)"
        sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends mmdebstrap
    else
        echo "error: mmdebstrap is missing; install it with: sudo apt-get install mmdebstrap" \
             "(or build on a registry base: make demo BASE_IMAGE=debian:bookworm-slim)" >&2
        exit 1
    fi
    command -v mmdebstrap >/dev/null || { echo "error: installing mmdebstrap failed" >&2; exit 1; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

hooks=()
if [[ -n "${EXTRA_CA_CERT:-}" ]]; then
    [[ -r "$EXTRA_CA_CERT" ]] || { echo "error: EXTRA_CA_CERT=$EXTRA_CA_CERT is not readable" >&2; exit 1; }
    # update-ca-certificates wants one certificate per file
    mkdir "$work/ca"
    awk -v dir="$work/ca" '/-----BEGIN CERTIFICATE-----/ {n++} n {print > (dir "/extra-" n ".crt")}' \
        "$EXTRA_CA_CERT"
    hooks+=(--customize-hook="cp $work/ca/*.crt \"\$1/usr/local/share/ca-certificates/\""
            --customize-hook='chroot "$1" update-ca-certificates')
fi

# minbase + ca-certificates is what debian:bookworm-slim offers; docs and man pages are
# dropped the same way the slim image drops them.
mmdebstrap --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "${hooks[@]}" \
    bookworm "$work/rootfs.tar" "$mirror"

docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    "$work/rootfs.tar" "$tag"
echo "imported $tag"
