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

# Python's prometheus_client, an independent reader of both exposition formats.
ensure_python_client() {
    if python3 -c 'import prometheus_client' >/dev/null 2>&1; then
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-pip
    echo "installing Python package(s) from tests/python/requirements.txt" >&2
    python3 -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages \
            -r tests/python/requirements.txt
}

# The Prometheus server and promtool, both from Debian's `prometheus` package.
ensure_prometheus() {
    if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
        return 0
    fi
    apt_install prometheus
    for tool in promtool prometheus; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "error: $tool is still missing after installing 'prometheus'" >&2
            return 1
        }
    done
}

# The Prometheus Pushgateway, from Debian's `prometheus-pushgateway` package.
ensure_pushgateway() {
    if command -v prometheus-pushgateway >/dev/null 2>&1; then
        return 0
    fi
    apt_install prometheus-pushgateway
    command -v prometheus-pushgateway >/dev/null 2>&1 || {
        echo "error: prometheus-pushgateway is still missing after installing it" >&2
        return 1
    }
}
