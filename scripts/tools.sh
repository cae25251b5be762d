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

# The Debian packages the suite's real servers come from, each with the commands it must
# provide: the Prometheus server and promtool, the Pushgateway, VictoriaMetrics (a second
# remote-write receiver). The missing ones are installed in one `apt-get` run.
SERVER_PACKAGES=(
    "prometheus:prometheus promtool"
    "prometheus-pushgateway:prometheus-pushgateway"
    "victoria-metrics:victoria-metrics"
)

ensure_servers() {
    local entry package commands tool missing=()
    for entry in "${SERVER_PACKAGES[@]}"; do
        package=${entry%%:*}
        commands=${entry#*:}
        for tool in $commands; do
            if ! command -v "$tool" >/dev/null 2>&1; then
                missing+=("$package")
                break
            fi
        done
    done
    [ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
    for entry in "${SERVER_PACKAGES[@]}"; do
        for tool in ${entry#*:}; do
            command -v "$tool" >/dev/null 2>&1 || {
                echo "error: $tool is still missing after installing '${entry%%:*}'" >&2
                return 1
            }
        done
    done
}
