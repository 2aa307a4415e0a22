# Sourced by .ci/run (as root, CI=true): a PostgreSQL on 127.0.0.1 for the storage tests.
# Idempotent: installs Debian's package if missing, starts (or reuses) a cluster,
# creates the test role and database, and exports MISINFO_TEST_POSTGRES_URL.
_pg_setup() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    pg_createcluster "$version" main >/dev/null
  fi
  local port
  port="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')"
  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$version" main start -o "-c listen_addresses=127.0.0.1"
  fi
  local i
  for i in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 1
  done
  runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT 'CREATE ROLE misinfo LOGIN PASSWORD ''misinfo'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'misinfo')\gexec
SELECT 'CREATE DATABASE misinfo_test OWNER misinfo'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'misinfo_test')\gexec
SQL
  export MISINFO_TEST_POSTGRES_URL="postgresql+psycopg://misinfo:misinfo@127.0.0.1:${port}/misinfo_test"
  echo "PostgreSQL $version on 127.0.0.1:$port; MISINFO_TEST_POSTGRES_URL exported"
}
_pg_setup
unset -f _pg_setup
