#!/usr/bin/env bash
# smtp-sink.sh: how fast tailor send hands personalized messages of about 30
# KB to postfix's smtp-sink over eight loopback connections, ledger included,
# beside postfix's own smtp-source pushing ready-made messages of the same
# size and number to the same sink.
#
#   pipeline/send/bench/smtp-sink.sh [CARDHOLDERS]    (default 50000)
#
# Environment: WORK (a scratch folder, default a new temporary one, removed
# at the end unless KEEP=1), PORT (default: a free one), SIZE (the message
# size to aim at, default 30000), CONNECTIONS (default 8).
# See README.md beside this script for what it prints and the figures.
set -euo pipefail

N=${1:-50000}
SIZE=${SIZE:-30000}
CONNECTIONS=${CONNECTIONS:-8}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)

# postfix's test tools, without starting postfix itself.
if ! command -v smtp-sink >/dev/null || ! command -v smtp-source >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		echo "smtp-sink.sh: smtp-sink and smtp-source are missing: install the postfix package" >&2
		exit 1
	fi
	echo "installing postfix (for smtp-sink and smtp-source)..." >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
fi
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null

own_work=
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d /tmp/tailor-smtp-sink.XXXXXX)
	[ "${KEEP:-}" = 1 ] || own_work=1
fi
mkdir -p "$WORK"

# A free port on loopback.
if [ -z "${PORT:-}" ]; then
	for PORT in $(shuf -i 20000-60000 -n 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
	done
fi

sink_pid=
cleanup_sink() {
	if [ -n "$sink_pid" ]; then
		kill "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
		sink_pid=
	fi
}
trap 'cleanup_sink; [ -z "$own_work" ] || rm -rf "$WORK"' EXIT

echo "building tailor..." >&2
(cd "$repo" && go build -o "$WORK/tailor" ./cmd/tailor)
tailor=$WORK/tailor
export TAILOR_UNSUBSCRIBE_SECRET=${TAILOR_UNSUBSCRIBE_SECRET:-smtp-sink-benchmark}

echo "generating $N cardholders..." >&2
"$tailor" gen --cardholders "$N" --out "$WORK" >/dev/null

# campaign TEMPLATES_DIR writes the campaign file, with a template folder
# when one is given.
campaign() {
	cat >"$WORK/campaign.toml" <<EOF
name = "bench"
month = "2026-10"
[inputs]
cardholders = "cardholders.csv"
transactions = "transactions.csv"
[sender]
name = "Meridian Card"
from = "news@meridian.example.com"
postal_address = "200 Vesey Street"
unsubscribe_url = "https://meridian.example.com/unsubscribe"
[mail]
outbox = "none"
EOF
	if [ -n "${1:-}" ]; then
		printf '[templates]\ndir = "%s"\n' "$1" >>"$WORK/campaign.toml"
	fi
	cat >>"$WORK/campaign.toml" <<EOF

[[smtp]]
host = "127.0.0.1"
port = $PORT
tls = "none"
connections = $CONNECTIONS
EOF
}

# run runs the campaign into a fresh output folder and prints the mean size
# of the variants' sample messages, in bytes.
run() {
	rm -rf "$WORK/out"
	"$tailor" run "$WORK/campaign.toml" --out "$WORK/out" --outbox none -q >/dev/null
	cat "$WORK"/out/bench/2026-10/variants/*/sample.eml | wc -c |
		awk -v n="$(ls "$WORK"/out/bench/2026-10/variants/*/sample.eml | wc -l)" '{ printf "%d", $1 / n }'
}

echo "running the campaign..." >&2
campaign
size=$(run)
if [ "$size" -lt $((SIZE * 9 / 10)) ]; then
	# Pad every message with a longer closing block: its text goes into
	# both the HTML and the plain-text part, quoted-printable, with inline
	# styles: about 2.4 bytes a byte.
	echo "messages are $size bytes: padding them to about $SIZE..." >&2
	cp -r "$repo/templates/default" "$WORK/templates"
	pad=$(((SIZE - size) * 10 / 24))
	{
		echo
		sentence="Every offer in this newsletter is subject to its full terms, shown in the app beside the offer; rewards post within two statement cycles, and an offer used on a card that is closed or past due earns nothing."
		while [ "$pad" -gt 0 ]; do
			echo "$sentence $sentence $sentence"
			echo
			pad=$((pad - 3 * ${#sentence} - 4))
		done
	} >>"$WORK/templates/blocks/closing-signoff.md"
	campaign templates
	size=$(run)
fi
echo "messages are $size bytes on average (variants' samples)" >&2

# smtp-sink accepts every message and throws it away.
start_sink() {
	smtp-sink -c -u root "127.0.0.1:$PORT" 1000 >"$WORK/sink-$1.log" 2>&1 &
	sink_pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "smtp-sink.sh: smtp-sink did not start on port $PORT:" >&2
	cat "$WORK/sink-$1.log" >&2
	exit 1
}

# rate COUNT SECONDS prints COUNT/SECONDS.
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

echo "tailor send: $CONNECTIONS connections to smtp-sink on 127.0.0.1:$PORT..." >&2
start_sink tailor
/usr/bin/time -o "$WORK/time-tailor" -f '%e %M' "$tailor" send "$WORK/out/bench/2026-10" -q >"$WORK/send.out" 2>"$WORK/send.err" || {
	echo "smtp-sink.sh: tailor send failed:" >&2
	cat "$WORK/send.out" "$WORK/send.err" >&2
	exit 1
}
cleanup_sink
read -r t_secs t_kb <"$WORK/time-tailor"
sent=$(awk '/^tailor:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^sent,?$/) { print $i; exit } }' "$WORK/send.out")
# The summary's duration, a Go duration such as 1m2.5s or 950ms, in seconds.
t_inside=$(awk '/^tailor:/ {
	d = $NF; s = 0
	while (match(d, /^[0-9.]+(h|ms|m|s)/)) {
		v = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
		if (v ~ /ms$/) s += v / 1000; else if (v ~ /h$/) s += v * 3600; else if (v ~ /m$/) s += v * 60; else s += v
	}
	print s; exit }' "$WORK/send.out")
db_kb=$(du -k "$WORK/out/bench/2026-10/send.db" | cut -f1)

# smtp-source SESSIONS-FLAGS NAME: the same number of messages of the same
# size, over $CONNECTIONS parallel sessions.
source_run() {
	start_sink "$2"
	# shellcheck disable=SC2086
	/usr/bin/time -o "$WORK/time-$2" -f '%e %M' smtp-source -c $1 -l "$size" -m "$sent" -s "$CONNECTIONS" \
		-f news@meridian.example.com -t someone@example.com "127.0.0.1:$PORT" >/dev/null 2>"$WORK/source-$2.err" || {
		echo "smtp-sink.sh: smtp-source failed:" >&2
		cat "$WORK/source-$2.err" >&2
		exit 1
	}
	cleanup_sink
}
echo "smtp-source: the same $sent messages of $size bytes, a connection per message..." >&2
source_run "" source
echo "smtp-source -d: the same, connections kept open..." >&2
source_run "-d" source-d
read -r s_secs s_kb <"$WORK/time-source"
read -r d_secs d_kb <"$WORK/time-source-d"

t_rate=$(rate "$sent" "$t_secs")
s_rate=$(rate "$sent" "$s_secs")
d_rate=$(rate "$sent" "$d_secs")
echo
echo "$N cardholders, $sent messages of about $size bytes, $CONNECTIONS connections to smtp-sink on loopback ($(nproc) CPUs)"
printf '%-34s %9s %9s %12s\n' "" "seconds" "msgs/s" "peak RSS"
printf '%-34s %9s %9s %9s KB\n' "tailor send (whole process)" "$t_secs" "$t_rate" "$t_kb"
printf '%-34s %9s %9s\n' "tailor send (its own clock)" "$t_inside" "$(rate "$sent" "$t_inside")"
printf '%-34s %9s %9s %9s KB\n' "smtp-source (a connection each)" "$s_secs" "$s_rate" "$s_kb"
printf '%-34s %9s %9s %9s KB\n' "smtp-source -d (connections kept)" "$d_secs" "$d_rate" "$d_kb"
echo "ratio tailor / smtp-source: $(awk -v a="$t_rate" -v b="$s_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
	"(/ smtp-source -d: $(awk -v a="$t_rate" -v b="$d_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'))"
echo "ledger: send.db $db_kb KB"
