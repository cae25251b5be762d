# Installers for the real tools the tests run against. Sourced by scripts/test.sh.

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: installing needs root or sudo: $*" >&2
        return 1
    fi
}

apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: apt-get not found; install the Debian package(s) '$*' or their equivalent by hand" >&2
        return 1
    fi
    echo "installing Debian package(s): $*" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

ensure_promtool() {
    command -v promtool >/dev/null 2>&1 && return 0
    apt_install prometheus
    command -v promtool >/dev/null 2>&1 || {
        echo "error: promtool is still missing after installing 'prometheus'" >&2
        return 1
    }
}
