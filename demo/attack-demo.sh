#!/usr/bin/env bash
# A small credential-stuffing attack on the running demo, to watch Sentinel answer it:
#
#   ./run.sh attack-demo                  against the demo that ./run.sh started
#   ./run.sh attack-demo --port 8081      against a demo on another HTTP port
#
# 48 sign-in attempts with leaked-looking usernames and passwords, from 48 source addresses in
# 127.66.0.0/16 (a made-up botnet on this machine's loopback), at most 4 a second, stopped after
# 60 s whatever happens. Only ever http://127.0.0.1:PORT: it cannot be pointed anywhere else.
# Then it shows the realm's attack state, the CAPTCHA on the login page and where the admin
# alert mail is, and what to try next (docs/demo.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_ENV="$ROOT/.run/demo.env"
REALM=demo
ATTEMPTS=48
PER_SECOND=4
TIME_CAP_SECONDS=60

die() { printf 'attack-demo: %s\n' "$1" >&2; [ $# -gt 1 ] && printf '             %s\n' "$2" >&2; exit 1; }
valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# the demo that ./run.sh runs now, if any (its ports)
DEMO_PORT=""
MAIL_API_PORT=""
if [ -s "$DEMO_ENV" ]; then
  DEMO_PORT="$(sed -n 's/^PORT=//p' "$DEMO_ENV")"
  MAIL_API_PORT="$(sed -n 's/^MAIL_API_PORT=//p' "$DEMO_ENV")"
fi
PORT="$DEMO_PORT"
while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a number"; PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#--port=}"; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'" "usage: ./run.sh attack-demo [--port N]" ;;
  esac
done
PORT="${PORT:-8080}"
# the mail check needs run.sh's mail server: only for the demo that run.sh started
[ "$PORT" = "$DEMO_PORT" ] || MAIL_API_PORT=""
[ -z "$MAIL_API_PORT" ] || valid_port "$MAIL_API_PORT" || MAIL_API_PORT=""
valid_port "$PORT" || die "--port '$PORT' is not a port number (1-65535)"
command -v curl >/dev/null 2>&1 || die "curl is needed (Debian: apt-get install curl)."

# the only target there is: this machine's loopback
KC="http://127.0.0.1:$PORT"
ADMIN_USER="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"
DEADLINE=$((SECONDS + TIME_CAP_SECONDS))
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# short timeouts on every request: nothing here can hang
http() { curl -s --connect-timeout 3 --max-time 10 "$@"; }

http -o /dev/null "$KC/realms/$REALM" || die "no Keycloak answers on $KC." "Start the demo with ./run.sh first (or give its --port)."
[ "$(http -o /dev/null -w '%{http_code}' "$KC/realms/$REALM")" = 200 ] \
  || die "Keycloak on $KC has no '$REALM' realm." "Is this the demo of ./run.sh? (./run.sh --clean imports it afresh)"

# every 127.x.y.z is this machine on Linux; elsewhere (macOS) only 127.0.0.1 is, unless aliased
if ! http --interface 127.66.1.10 -o /dev/null "$KC/realms/$REALM"; then
  die "cannot send from 127.66.1.10, an address of the loopback range (Linux has them all)." \
      "On macOS: sudo ifconfig lo0 alias 127.66.1.10 up (and the other 127.66.x.y), or run it on Linux."
fi

admin_token() {
  http -d grant_type=password -d client_id=admin-cli --data-urlencode "username=$ADMIN_USER" \
    --data-urlencode "password@$WORK/admin-password" "$KC/realms/master/protocol/openid-connect/token" \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
# the password and the token reach curl through files in the private work directory, never its
# command line (which every local user can read in ps)
printf '%s' "$ADMIN_PASSWORD" >"$WORK/admin-password"
TOKEN="$(admin_token)"
rm -f "$WORK/admin-password"
printf 'Authorization: Bearer %s\n' "$TOKEN" >"$WORK/admin-header"
[ -n "$TOKEN" ] || die "cannot sign in to the admin API as '$ADMIN_USER'." \
  "Set KC_BOOTSTRAP_ADMIN_USERNAME and KC_BOOTSTRAP_ADMIN_PASSWORD as for ./run.sh."

attack_state() { # the realm's attack state, e.g. UNDER_ATTACK
  http -H "@$WORK/admin-header" "$KC/admin/realms/$REALM/sentinel-admin/attack" \
    | sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p'
}

# a login page as a browser gets it (the account console's client, with a PKCE challenge)
LOGIN_QUERY="client_id=account-console&response_type=code&scope=openid&code_challenge_method=S256"
LOGIN_QUERY="$LOGIN_QUERY&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
LOGIN_QUERY="$LOGIN_QUERY&redirect_uri=$(printf '%s' "$KC/realms/$REALM/account/" | sed 's/:/%3A/g; s#/#%2F#g')"
login_page() { # SOURCE_ADDRESS COOKIE_JAR -> the page's HTML
  http --interface "$1" -c "$2" -b "$2" "$KC/realms/$REALM/protocol/openid-connect/auth?$LOGIN_QUERY"
}
# (a page is read whole before grep looks at it: grep -q stopping early would fail curl's pipe)
asks_captcha() { local page; page="$(login_page 127.0.0.1 "$WORK/jar-check")"; grep -q 'sentinel/captcha.js\|security check' <<<"$page"; }
admin_alert_arrived() {
  local inbox; inbox="$(http "http://127.0.0.1:$MAIL_API_PORT/api/user/security%40demo.example/messages/INBOX")"
  grep -q '"subject"' <<<"$inbox"
}

# one attempt from one source: the login page, then the form posted without any CAPTCHA answer
attempt() { # SOURCE USERNAME PASSWORD -> wrong-password | captcha | throttled | signed-in | other
  local jar="$WORK/jar" page action status
  rm -f "$jar"
  page="$(login_page "$1" "$jar")"
  action="$(printf '%s' "$page" | grep -o '<form[^>]*kc-form-login[^>]*>' | grep -o 'action="[^"]*"' \
    | sed 's/^action="//; s/"$//; s/&amp;/\&/g' || true)"
  [[ "$action" == "$KC/"* ]] || { echo other; return; }
  status="$(http --interface "$1" -b "$jar" -o "$WORK/answer" -w '%{http_code}' \
    --data-urlencode "username=$2" --data-urlencode "password=$3" -d credentialId= "$action")"
  if [ "$status" = 429 ]; then echo throttled
  elif [ "$status" = 302 ]; then echo signed-in
  elif grep -q 'complete the security check\|security check could not' "$WORK/answer"; then echo captcha
  elif [ "$status" = 200 ]; then echo wrong-password
  else echo other; fi
}

# a leaked list: mostly accounts that do not exist here, a few that do (alice only twice, so her
# own sign-in afterwards is not held by smart lockout)
USERS=(james.smith maria.garcia bob wei.zhang olga.ivanova alice john.doe priya.patel carol
       lucas.martin anna.schmidt mohammed.ali sofia.rossi emma.jones noah.brown liam.wilson)
PASSWORDS=('123456' 'Password1' 'Summer2024!' 'qwerty123' 'Welcome1!' 'iloveyou' 'Demo-2025!' 'letmein')

echo "==> Sentinel before the attack: realm '$REALM' is $(attack_state)"
echo "==> Playing $ATTEMPTS sign-in attempts on $KC from 127.66.x.y (at most $PER_SECOND/s, at most ${TIME_CAP_SECONDS} s)"
declare -A seen=([wrong-password]=0 [captcha]=0 [throttled]=0 [signed-in]=0 [other]=0)
for ((i = 0; i < ATTEMPTS; i++)); do
  [ "$SECONDS" -lt "$DEADLINE" ] || { echo "    time cap reached after $i attempts"; break; }
  source="127.66.$((i % 12 + 1)).$((i / 12 + 10))"
  user="${USERS[i % ${#USERS[@]}]}"
  [ "$user" = alice ] && [ "$i" -ge 32 ] && user=ana.lopez
  outcome="$(attempt "$source" "$user" "${PASSWORDS[i % ${#PASSWORDS[@]}]}")"
  seen[$outcome]=$((${seen[$outcome]} + 1))
  if (( (i + 1) % 8 == 0 )); then
    printf '    %2d attempts: %2d refused (wrong username or password), %2d stopped at the CAPTCHA, %2d throttled; realm %s\n' \
      "$((i + 1))" "${seen[wrong-password]}" "${seen[captcha]}" "${seen[throttled]}" "$(attack_state)"
  fi
  sleep "$(awk "BEGIN { print 1 / $PER_SECOND }")"
done
[ "${seen[signed-in]}" = 0 ] || echo "    ${seen[signed-in]} attempt(s) signed in (a password from the list was right)"
[ "${seen[other]}" = 0 ] || echo "    ${seen[other]} attempt(s) got an unexpected answer"

# the state is evaluated every second from the last minute's counts: give it a few
state="$(attack_state)"
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [ "$state" = UNDER_ATTACK ] && break
  sleep 1
  state="$(attack_state)"
done
json="$(http -H "@$WORK/admin-header" "$KC/admin/realms/$REALM/sentinel-admin/attack")"
field() { printf '%s' "$json" | grep -o "\"$1\":\"[^\"]*\"\|\"$1\":[^,}\"]*" | head -n1 | sed 's/^"[^"]*"://; s/^"//; s/"$//'; }
echo
echo "==> Realm '$REALM' is now $state (GET $KC/admin/realms/$REALM/sentinel-admin/attack):"
echo "    since  $(field since)"
echo "    why    $(field reason)"
echo "    failed sign-ins in the last minute: $(field failuresLastMinute), $(field unknownUserFailuresLastMinute) of them for unknown usernames"

if asks_captcha; then
  echo "==> The login page now asks for a CAPTCHA (a proof-of-work your browser solves by itself):"
  echo "    $KC/realms/$REALM/account"
else
  echo "==> The login page does not ask for a CAPTCHA (the realm is not rated risky)."
fi

if [ -n "$MAIL_API_PORT" ]; then
  for _ in $(seq 1 15); do
    admin_alert_arrived && break
    sleep 1
  done
  if admin_alert_arrived; then
    echo "==> The admin alert mail arrived for security@demo.example:   ./run.sh mail security@demo.example"
  else
    echo "==> No admin alert mail yet for security@demo.example (it is sent when the realm is UNDER_ATTACK);"
    echo "    look again in a moment: ./run.sh mail security@demo.example"
  fi
else
  echo "==> The admin alert goes by mail to security@demo.example (the realm's SMTP server)."
fi

cat <<EOF

Now sign in as alice in your browser: $KC/realms/$REALM/account  (alice / Demo-alice-2026!)
  - the page asks for the security check (solved by the browser in a second or two);
  - the sign-in looks risky (the realm is under attack), so Sentinel asks for a code it mailed:
    ./run.sh mail alice@demo.example   shows it;
  - the realm stays under attack until the failures stop for 5 minutes (cooldownSeconds).
EOF
