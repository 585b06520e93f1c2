#!/usr/bin/env bash
# Runs Keycloak 26.7.3 with Keycloak Sentinel and a demo realm, on an embedded H2 database, and a
# local mail server (GreenMail, loopback only) that receives every mail the demo realm sends.
#
#   ./run.sh                  build, install and start on http://localhost:8080
#   ./run.sh --port 8081      another HTTP port (also --management-port, 9000; the mail server's
#                             --smtp-port, 3025, and --mail-api-port, 8025)
#   ./run.sh --clean          forget the server and its data (the download stays cached) first
#   ./run.sh mail [ADDRESS]   (another terminal) the mails the demo sent, to ADDRESS or to everyone
#   ./run.sh attack-demo      (another terminal) a small credential-stuffing attack on the demo
#
# Ctrl-C stops Keycloak and the mail server. A second run reuses the downloaded server and keeps
# realms and users. What to try in the demo: docs/demo.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="$ROOT/.run"
PORT=8080
MGMT_PORT=9000
SMTP_PORT=3025
MAIL_API_PORT=8025
CLEAN=false

die() { printf 'run.sh: %s\n' "$1" >&2; [ $# -gt 1 ] && printf '        %s\n' "$2" >&2; exit 1; }

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# GreenMail's version is the integration tests' (one place: integration-tests/pom.xml)
GREENMAIL_VERSION="$(sed -n 's:.*<greenmail.version>\(.*\)</greenmail.version>.*:\1:p' "$ROOT/integration-tests/pom.xml" | head -n1)"
GREENMAIL_JAR="$RUN_DIR/download/greenmail-standalone-$GREENMAIL_VERSION.jar"
# the ports of the demo running now: written once it is ready, removed when it stops
DEMO_ENV="$RUN_DIR/demo.env"

# --- commands for a demo that is running ------------------------------------------------------
case "${1:-}" in
  attack-demo)
    shift
    exec bash "$ROOT/demo/attack-demo.sh" "$@"
    ;;
  mail)
    shift
    [ $# -le 1 ] && [[ "${1:-}" != -* ]] || die "usage: ./run.sh mail [ADDRESS]"
    [ -s "$DEMO_ENV" ] || die "the demo is not running (no $DEMO_ENV)." "Start it with ./run.sh in another terminal first."
    MAIL_API_PORT="$(sed -n 's/^MAIL_API_PORT=//p' "$DEMO_ENV")"
    valid_port "$MAIL_API_PORT" || die "$DEMO_ENV names no mail API port; restart the demo with ./run.sh."
    [ -s "$GREENMAIL_JAR" ] || die "no $GREENMAIL_JAR; start the demo with ./run.sh first."
    JAVA="java"; [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && JAVA="$JAVA_HOME/bin/java"
    # Java's single-file source launcher; GreenMail's JAR brings Jakarta Mail and Jackson
    exec "$JAVA" -cp "$GREENMAIL_JAR" "$ROOT/demo/ReadMail.java" "http://127.0.0.1:$MAIL_API_PORT" "$@"
    ;;
esac

while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a number"; PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#--port=}"; shift ;;
    --management-port) [ $# -ge 2 ] || die "--management-port needs a number"; MGMT_PORT="$2"; shift 2 ;;
    --management-port=*) MGMT_PORT="${1#--management-port=}"; shift ;;
    --smtp-port) [ $# -ge 2 ] || die "--smtp-port needs a number"; SMTP_PORT="$2"; shift 2 ;;
    --smtp-port=*) SMTP_PORT="${1#--smtp-port=}"; shift ;;
    --mail-api-port) [ $# -ge 2 ] || die "--mail-api-port needs a number"; MAIL_API_PORT="$2"; shift 2 ;;
    --mail-api-port=*) MAIL_API_PORT="${1#--mail-api-port=}"; shift ;;
    --clean) CLEAN=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
valid_port "$PORT" || die "--port '$PORT' is not a port number (1-65535)"
valid_port "$MGMT_PORT" || die "--management-port '$MGMT_PORT' is not a port number (1-65535)"
valid_port "$SMTP_PORT" || die "--smtp-port '$SMTP_PORT' is not a port number (1-65535)"
valid_port "$MAIL_API_PORT" || die "--mail-api-port '$MAIL_API_PORT' is not a port number (1-65535)"
[ "$(printf '%s\n' "$PORT" "$MGMT_PORT" "$SMTP_PORT" "$MAIL_API_PORT" | sort -u | wc -l)" -eq 4 ] \
  || die "--port, --management-port, --smtp-port and --mail-api-port must all differ"

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
for option in "--port $PORT" "--management-port $MGMT_PORT" "--smtp-port $SMTP_PORT" "--mail-api-port $MAIL_API_PORT"; do
  p="${option##* }"
  if port_in_use "$p"; then
    who=""
    command -v ss >/dev/null 2>&1 && who="$(ss -ltnpH "sport = :$p" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n1 | sed 's/users:(("\(.*\)",pid=\(.*\)/ by \1 (pid \2)/')"
    die "port $p is already in use${who}." "Stop that program, or pick another port: ./run.sh ${option% *} $((p + 1))"
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

# --- build the JAR, fetch Keycloak and GreenMail (all cached in ~/.m2) ---------------------------
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
if [ ! -s "$GREENMAIL_JAR" ]; then
  echo "==> Fetching GreenMail $GREENMAIL_VERSION (the demo's mail server) from Maven Central"
  (cd "$ROOT" && ./mvnw -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="com.icegreen:greenmail-standalone:$GREENMAIL_VERSION" \
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

# the demo realm mails through the demo's SMTP port. Keycloak imports it only when the realm does
# not exist yet, so the port it was imported with is remembered, to say so when it differs.
mkdir -p "$KC_HOME/data/import"
sed "s/\"port\": \"3025\"/\"port\": \"$SMTP_PORT\"/" "$ROOT/demo/realm-demo.json" >"$KC_HOME/data/import/realm-demo.json"
IMPORTED_SMTP="$KC_HOME/data/demo-smtp-port"
if [ ! -d "$KC_HOME/data/h2" ]; then
  echo "$SMTP_PORT" >"$IMPORTED_SMTP"
elif [ ! -s "$IMPORTED_SMTP" ]; then
  echo "==> Note: the demo realm in $KC_HOME was imported by an older run.sh, without the"
  echo "    demo's mail and alert settings: ./run.sh --clean imports the current one (a fresh database)."
elif [ "$(cat "$IMPORTED_SMTP")" != "$SMTP_PORT" ]; then
  echo "==> Note: the demo realm was imported with SMTP port $(cat "$IMPORTED_SMTP") and still mails there:"
  echo "    run with --smtp-port $(cat "$IMPORTED_SMTP"), change it in Realm settings > Email, or --clean."
fi

# --- start --------------------------------------------------------------------------------------
export KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
export KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"
SERVER_LOG="$RUN_DIR/keycloak.log"
MAIL_LOG="$RUN_DIR/mail.log"
KC_PID=""
MAIL_PID=""

# stops what this run started, by PID: on Ctrl-C, on a failed start, and when Keycloak exits
cleanup() {
  trap - INT TERM EXIT
  rm -f "$DEMO_ENV"
  if [ -n "$KC_PID" ] && kill -0 "$KC_PID" 2>/dev/null; then
    echo "==> Stopping Keycloak (pid $KC_PID)"
    kill -TERM "$KC_PID" 2>/dev/null || true
    wait "$KC_PID" 2>/dev/null || true
  fi
  if [ -n "$MAIL_PID" ] && kill -0 "$MAIL_PID" 2>/dev/null; then
    echo "==> Stopping the mail server (pid $MAIL_PID)"
    kill -TERM "$MAIL_PID" 2>/dev/null || true
    wait "$MAIL_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'echo; exit 0' INT TERM

echo "==> Starting the demo mail server on 127.0.0.1:$SMTP_PORT (log: $MAIL_LOG)"
"$JAVA" -Xmx128m -Dgreenmail.smtp.hostname=127.0.0.1 -Dgreenmail.smtp.port="$SMTP_PORT" \
  -Dgreenmail.api.hostname=127.0.0.1 -Dgreenmail.api.port="$MAIL_API_PORT" \
  -jar "$GREENMAIL_JAR" >"$MAIL_LOG" 2>&1 &
MAIL_PID=$!

echo "==> Starting Keycloak on http://localhost:$PORT (log: $SERVER_LOG; first start takes ~30 s)"
"$KC_HOME/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="$PORT" --http-management-port="$MGMT_PORT" \
  --health-enabled=true --metrics-enabled=true --features=declarative-ui --import-realm >"$SERVER_LOG" 2>&1 &
KC_PID=$!

answers_200() { # PORT PATH: whether http://127.0.0.1:PORT/PATH answers 200
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3
  head -n1 <&3 | grep -q ' 200'
}
until answers_200 "$MAIL_API_PORT" /api/service/readiness 2>/dev/null; do
  if ! kill -0 "$MAIL_PID" 2>/dev/null; then
    tail -n 20 "$MAIL_LOG" >&2
    die "the mail server stopped while starting; the full log is $MAIL_LOG"
  fi
  sleep 1
done
until answers_200 "$MGMT_PORT" /health/ready 2>/dev/null; do
  if ! kill -0 "$KC_PID" 2>/dev/null; then
    tail -n 20 "$SERVER_LOG" >&2
    die "Keycloak stopped while starting; the full log is $SERVER_LOG"
  fi
  sleep 1
done
printf 'PORT=%s\nMGMT_PORT=%s\nSMTP_PORT=%s\nMAIL_API_PORT=%s\n' "$PORT" "$MGMT_PORT" "$SMTP_PORT" "$MAIL_API_PORT" >"$DEMO_ENV"

cat <<EOF

  Keycloak $KC_VERSION with Keycloak Sentinel is running.

  Admin console    http://localhost:$PORT/admin/           user: $KC_BOOTSTRAP_ADMIN_USERNAME  password: $KC_BOOTSTRAP_ADMIN_PASSWORD
  Demo realm       http://localhost:$PORT/realms/demo/account   user: alice  password: Demo-alice-2026!
                   (also bob / Demo-bob-2026!, carol / Demo-carol-2026!)
  Demo mail        ./run.sh mail alice@demo.example    every mail the demo sent her, as text
                   ./run.sh mail                       every mailbox (admin alerts: security@demo.example)
                   http://127.0.0.1:$MAIL_API_PORT/api/user/alice@demo.example/messages/INBOX   the same, raw
                   (GreenMail on 127.0.0.1, SMTP port $SMTP_PORT: no mail leaves this machine)
  Play an attack   ./run.sh attack-demo   in another terminal, then sign in as alice (docs/demo.md)
  Sentinel API     http://localhost:$PORT/admin/realms/demo/sentinel-admin  (admin bearer token)
  Health, metrics  http://localhost:$MGMT_PORT/health  http://localhost:$MGMT_PORT/metrics
  Logs             $SERVER_LOG  $MAIL_LOG

  Ctrl-C stops Keycloak and the mail server; ./run.sh starts them again with the same data
  (--clean for a fresh one).
EOF

wait "$KC_PID" || true
