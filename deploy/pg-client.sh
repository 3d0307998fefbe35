# Sourced by backup.sh and restore-drill.sh.
# pg_dump/pg_restore come with Debian's postgresql-client; installed here when missing (as root).
# Its major version must be at least the server's (pg_dump refuses a newer server).
need_pg_client() {
  command -v pg_dump >/dev/null && return
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "$1: installing postgresql-client" >&2
    apt-get install -y -qq postgresql-client >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }
  fi
  command -v pg_dump >/dev/null || { echo "$1: pg_dump not found: apt-get install postgresql-client" >&2; exit 1; }
}
