#!/usr/bin/env bash
# Runs Keycloak 26.7.3 with Keycloak Sentinel and a demo realm, on an embedded H2 database.
#
#   ./run.sh                  build, install and start on http://localhost:8080
#   ./run.sh --port 8081      another HTTP port (the management port is --management-port, 9000)
#   ./run.sh --clean          forget the server and its data (the download stays cached) first
#
# Ctrl-C stops Keycloak. A second run reuses the downloaded server and keeps realms and users.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="$ROOT/.run"
PORT=8080
MGMT_PORT=9000
CLEAN=false

die() { printf 'run.sh: %s\n' "$1" >&2; [ $# -gt 1 ] && printf '        %s\n' "$2" >&2; exit 1; }

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a number"; PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#--port=}"; shift ;;
    --management-port) [ $# -ge 2 ] || die "--management-port needs a number"; MGMT_PORT="$2"; shift 2 ;;
    --management-port=*) MGMT_PORT="${1#--management-port=}"; shift ;;
    --clean) CLEAN=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
valid_port "$PORT" || die "--port '$PORT' is not a port number (1-65535)"
valid_port "$MGMT_PORT" || die "--management-port '$MGMT_PORT' is not a port number (1-65535)"
[ "$PORT" != "$MGMT_PORT" ] || die "--port and --management-port must differ"

# --- a JDK 17+ --------------------------------------------------------------------------------
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="$JAVA_HOME/bin/java"
elif command -v java >/dev/null 2>&1; then
  JAVA="$(command -v java)"
else
  die "no JDK found (no java on PATH, JAVA_HOME unset)." \
      "Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME."
fi
JAVA_MAJOR="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)"
[[ "$JAVA_MAJOR" =~ ^[0-9]+$ ]] && [ "$JAVA_MAJOR" -ge 17 ] \
  || die "$JAVA is Java ${JAVA_MAJOR:-unknown}; Keycloak 26 needs 17 or newer." \
         "Point JAVA_HOME at a JDK 17+ and run again."
command -v javac >/dev/null 2>&1 || [ -x "$(dirname "$JAVA")/javac" ] \
  || die "$JAVA is a JRE without javac; the build needs a JDK." "Install a JDK 17+ and set JAVA_HOME."
export JAVA_HOME="${JAVA_HOME:-$(cd "$(dirname "$(readlink -f "$JAVA")")/.." && pwd)}"

# --- free ports ---------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$MGMT_PORT"; do
  if port_in_use "$p"; then
    who=""
    command -v ss >/dev/null 2>&1 && who="$(ss -ltnpH "sport = :$p" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n1 | sed 's/users:(("\(.*\)",pid=\(.*\)/ by \1 (pid \2)/')"
    flag="--port $((PORT + 1))"; [ "$p" = "$MGMT_PORT" ] && flag="--management-port $((MGMT_PORT + 1))"
    die "port $p is already in use${who}." "Stop that program, or pick another port: ./run.sh $flag"
  fi
done

mkdir -p "$RUN_DIR"
LOG="$RUN_DIR/build.log"

explain_maven_failure() {
  if grep -qiE 'UnknownHost|Could not transfer|Connection (refused|reset|timed out)|Network is unreachable|Temporary failure in name resolution|Failed to fetch|could not resolve' "$LOG"; then
    die "cannot download from Maven Central (https://repo.maven.apache.org)." \
        "Check the network or proxy (a mirror goes in ~/.m2/settings.xml), then run again. Details: $LOG"
  fi
  tail -n 15 "$LOG" >&2
  die "the build failed; the full log is $LOG"
}

# --- build the JAR and fetch Keycloak (both cached in ~/.m2) -------------------------------------
KC_VERSION="$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$ROOT/pom.xml" | head -n1)"
echo "==> Building Keycloak Sentinel (log: $LOG)"
(cd "$ROOT" && ./mvnw -B -q -DskipTests -pl dist -am package >"$LOG" 2>&1) || explain_maven_failure
JAR="$(ls "$ROOT"/dist/target/keycloak-sentinel-*.jar 2>/dev/null | grep -v original- | head -n1)"
[ -n "$JAR" ] || die "the build produced no dist/target/keycloak-sentinel-*.jar; see $LOG"

ZIP="$RUN_DIR/download/keycloak-quarkus-dist-$KC_VERSION.zip"
if [ ! -s "$ZIP" ]; then
  echo "==> Fetching Keycloak $KC_VERSION from Maven Central"
  (cd "$ROOT" && ./mvnw -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
      -DoutputDirectory="$RUN_DIR/download" >"$LOG" 2>&1) || explain_maven_failure
fi

KC_HOME="$RUN_DIR/keycloak-$KC_VERSION"
if $CLEAN && [ -d "$KC_HOME" ]; then
  echo "==> --clean: removing $KC_HOME (server and data)"
  rm -rf "$KC_HOME"
fi
if [ ! -x "$KC_HOME/bin/kc.sh" ]; then
  echo "==> Unpacking Keycloak $KC_VERSION"
  rm -rf "$RUN_DIR/unpack" && mkdir -p "$RUN_DIR/unpack"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$ZIP" -d "$RUN_DIR/unpack"
  else
    (cd "$RUN_DIR/unpack" && "$JAVA_HOME/bin/jar" xf "$ZIP") && chmod +x "$RUN_DIR/unpack/keycloak-$KC_VERSION"/bin/*.sh
  fi
  mv "$RUN_DIR/unpack/keycloak-$KC_VERSION" "$KC_HOME" && rm -rf "$RUN_DIR/unpack"
fi

# --- install the JAR (only when it changed: an unchanged JAR spares Keycloak a rebuild) ---------
INSTALLED="$KC_HOME/providers/keycloak-sentinel.jar"
if ! cmp -s "$JAR" "$INSTALLED"; then
  rm -f "$KC_HOME"/providers/keycloak-sentinel*.jar
  cp "$JAR" "$INSTALLED"
fi
mkdir -p "$KC_HOME/data/import"
cp "$ROOT/demo/realm-demo.json" "$KC_HOME/data/import/realm-demo.json"

# --- start --------------------------------------------------------------------------------------
export KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
export KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"
SERVER_LOG="$RUN_DIR/keycloak.log"
echo "==> Starting Keycloak on http://localhost:$PORT (log: $SERVER_LOG; first start takes ~30 s)"
"$KC_HOME/bin/kc.sh" start-dev --http-port="$PORT" --http-management-port="$MGMT_PORT" \
  --health-enabled=true --metrics-enabled=true --import-realm >"$SERVER_LOG" 2>&1 &
KC_PID=$!

stop() {
  trap - INT TERM
  echo; echo "==> Stopping Keycloak (pid $KC_PID)"
  kill -TERM "$KC_PID" 2>/dev/null || true
  wait "$KC_PID" 2>/dev/null || true
  exit 0
}
trap stop INT TERM

ready() {
  exec 3<>"/dev/tcp/127.0.0.1/$MGMT_PORT" || return 1
  printf 'GET /health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  head -n1 <&3 | grep -q ' 200'
}
until ready 2>/dev/null; do
  if ! kill -0 "$KC_PID" 2>/dev/null; then
    tail -n 20 "$SERVER_LOG" >&2
    die "Keycloak stopped while starting; the full log is $SERVER_LOG"
  fi
  sleep 1
done

cat <<EOF

  Keycloak $KC_VERSION with Keycloak Sentinel is running.

  Admin console    http://localhost:$PORT/admin/           user: $KC_BOOTSTRAP_ADMIN_USERNAME  password: $KC_BOOTSTRAP_ADMIN_PASSWORD
  Demo realm       http://localhost:$PORT/realms/demo/account   user: alice  password: Demo-alice-2026!
                   (also bob / Demo-bob-2026!, carol / Demo-carol-2026!)
  Sentinel API     http://localhost:$PORT/admin/realms/demo/sentinel-admin  (admin bearer token)
  Health, metrics  http://localhost:$MGMT_PORT/health  http://localhost:$MGMT_PORT/metrics
  Server log       $SERVER_LOG

  Ctrl-C stops Keycloak; ./run.sh starts it again with the same data (--clean for a fresh one).
EOF

wait "$KC_PID"
