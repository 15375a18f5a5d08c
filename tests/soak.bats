#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A burst against a real Cyrus: 200 deliveries at once into its UNIX
# socket.  lmtpd's listen queue fills, Linux answers connect() with
# EAGAIN, and lmtp-iq must wait for the server rather than defer: every
# delivery exits 0 on the first try, and each message is stored once.

load helpers/common
load helpers/cyrus

setup_file() {
	suite_needs_root "Cyrus runs as its own user from a temp dir" || return 0
	cyrus_start
	export CYRUS_DIR CYRUS_PID CYRUS_SOCK
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	cyrus_stop
}

setup() {
	suite_skip_check
}

@test "soak: 200 concurrent deliveries into real Cyrus all exit 0 first time, each stored exactly once" {
	D=$(make_tmp soak)
	conf_write "$D/conf" server "unix:$CYRUS_SOCK" syslog no timeout 60 notice_senders soak@example.test
	for i in $(seq 1 200); do
		printf 'From: soak@example.test\nSubject: soak %d\nMessage-ID: <soak.%d@example.test>\n\nburst\n' \
			"$i" "$i" > "$D/m$i"
	done
	# bob's INBOX exists before the burst: Cyrus's own autocreate races
	# (two lmtpd creating it at once: "451 4.3.0 Mailbox already exists").
	printf 'Subject: first\r\n\r\nx\r\n' > "$D/first"
	"$TOOLS/rawlmtp" -s "unix:$CYRUS_SOCK" -f "$D/first" bob
	# All 200 wait at a gate (a FIFO) and start together when it opens.
	mkfifo "$D/gate"
	for i in $(seq 1 200); do
		( read -r _ < "$D/gate" || true	# EOF: the gate opened
		  rc=0
		  LMTPIQ_CONF=$D/conf LMTPIQ_SERVER= lmtp_iq -f soak@example.test bob < "$D/m$i" 2> "$D/e$i" || rc=$?
		  echo "$rc" > "$D/rc$i" ) &
	done
	sleep 1
	sh -c ': > "$1"' sh "$D/gate"	# open and close: every reader goes
	wait
	fails=0
	for i in $(seq 1 200); do
		rc=$(cat "$D/rc$i")
		[ "$rc" = 0 ] || { echo "delivery $i: exit $rc: $(cat "$D/e$i")"; fails=$((fails + 1)); }
	done
	echo "first-try failures: $fails of 200"
	[ "$fails" -eq 0 ]
	[ "$(cyrus_count bob)" -eq 201 ]
	dir=$(cyrus_tool mbpath user/bob)
	# Cyrus stores CRLF line ends.
	for i in $(seq 1 200); do
		n=$(grep -l "^Subject: soak $i"$'\r$' "$dir"/*. | wc -l)
		[ "$n" -eq 1 ] || { echo "soak $i stored $n times"; false; }
	done
	rm -rf "$D"
}
