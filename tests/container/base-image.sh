#!/usr/bin/env bash
# Builds docker.io/library/debian:bookworm-slim locally, so that the project's
# Dockerfile (`FROM debian:bookworm-slim`) builds with `podman build
# --pull=never` on a machine that reaches no container registry, only the
# Debian mirror. Skips the work when the image already exists.
#
# The mirror is read at run time from this machine's own apt sources: the
# first active source whose suite is bookworm (deb822 `.sources` or one-line
# `.list`). No mirror host name is written into the repository.
#
# Usage: tests/container/base-image.sh [--force]     (root; needs debootstrap, podman)
set -euo pipefail

IMAGE=docker.io/library/debian:bookworm-slim
SUITE=bookworm

if [ "${1:-}" != "--force" ] && podman image exists "$IMAGE"; then
    echo "base-image: $IMAGE exists (cached)"
    exit 0
fi

# Prints the URI of the first active apt source for suite $1.
source_uri() {
    local suite=$1 f
    local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
    for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        case "$f" in
        *.sources)
            # deb822: stanzas separated by blank lines; comments start with #.
            awk -v want="$suite" '
                function flush() {
                    if (uri != "" && types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " want " "))
                        { print uri; found = 1; exit }
                    uri = ""; suites = ""; types = ""; enabled = ""
                }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                tolower($1) == "uris:"    { uri = $2 }
                tolower($1) == "suites:"  { $1 = ""; suites = $0 }
                tolower($1) == "types:"   { $1 = ""; types = $0 }
                tolower($1) == "enabled:" { enabled = tolower($2) }
                END { if (!found) flush() }' "$f"
            ;;
        *)
            # one-line: deb [options] URI SUITE COMPONENTS...
            sed -E 's/\[[^]]*\]//' "$f" | awk -v want="$suite" '$1 == "deb" && $3 == want { print $2; exit }'
            ;;
        esac
    done | head -n 1
}

MIRROR=${DEBIAN_MIRROR:-$(source_uri "$SUITE")}
SECURITY=${DEBIAN_SECURITY_MIRROR:-$(source_uri "$SUITE-security")}
if [ -z "$MIRROR" ]; then
    echo "base-image: no active apt source for '$SUITE' in /etc/apt/sources.list*; set DEBIAN_MIRROR" >&2
    exit 1
fi

work=$(mktemp -d /var/tmp/sheetsync-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "base-image: debootstrap --variant=minbase $SUITE from the host's mirror"
t0=$(date +%s)
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
}

# The same apt sources the host uses (main, updates, security), as the
# official image does, in deb822 form.
rm -f "$rootfs/etc/apt/sources.list"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$MIRROR" "$SUITE" "$SUITE"
    if [ -n "$SECURITY" ]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$SECURITY" "$SUITE"
    fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"

# A mirror that serves snapshots has expired Release files: carry the host's
# own setting over when it has one.
if apt-config dump 2>/dev/null | grep -q '^Acquire::Check-Valid-Until "false"'; then
    printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
        >"$rootfs/etc/apt/apt.conf.d/99host-mirror"
fi

# What makes the official image "slim": no documentation, man pages or
# translations from later installs, no apt caches in layers.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/*
: >"$rootfs/etc/machine-id"
# debootstrap copies the host's name and resolver; the runtime provides both.
rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"

tar --numeric-owner -C "$rootfs" -c . |
    podman import --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - "$IMAGE" >/dev/null
echo "base-image: $IMAGE built in $(($(date +%s) - t0)) s ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
