# SPDX-License-Identifier: ISC
# The scripted fake LMTP server (tests/tools/fakelmtp.c).
# fake_start reads the script on stdin; lmtp_iq runs the mailer against it
# with a config of its own; fake_finish waits for the server and checks
# that it ran its whole script.

# Scripts are piped in: run fake_start in this shell, not a subshell.
shopt -s lastpipe

# fake_run LISTEN SCRIPT RECORD READY ERR: the one place a fake server
# is started: listening on LISTEN (unix:PATH or tcp:HOST:PORT, port 0 for
# any), inside the network namespace $FAKE_NETNS when set.  READY gets
# the bound port (or "ready"); the PID is in FAKE_RUN_PID.
fake_run() {
	local ns=()
	[ -z "${FAKE_NETNS:-}" ] || ns=(nsenter -t "$FAKE_NETNS" -n)
	rm -f "$4"
	"${ns[@]}" "$TOOLS/fakelmtp" -l "$1" -s "$2" -r "$3" -p "$4" 2>"$5" 3>&- &
	FAKE_RUN_PID=$!
	wait_file "$4"
}

# fake_start [LISTEN]: a fake server for one test, in $FAKE_DIR, on a
# UNIX socket there unless LISTEN says otherwise.
fake_start() {
	# A test's second server replaces its first: nothing of it is left.
	fake_teardown
	FAKE_DIR=$(make_tmp fake)
	cat > "$FAKE_DIR/script"
	# FAKE_NOTICE_SENDERS: a suite's own list (LMTP-mode clients' senders).
	conf_write "$FAKE_DIR/conf" lhlo_name client.test syslog no \
		notice_senders "${FAKE_NOTICE_SENDERS:-$NOTICE_SENDER}"
	LMTPIQ_CONF=$FAKE_DIR/conf LMTPIQ_SERVER=unix:$FAKE_DIR/sock
	fake_run "${1:-unix:$FAKE_DIR/sock}" "$FAKE_DIR/script" "$FAKE_DIR/record" \
		"$FAKE_DIR/ready" "$FAKE_DIR/err"
	FAKE_PID=$FAKE_RUN_PID
}

# fake_conf KEY [VALUE]: set (or, without VALUE, drop) KEY in the
# config lmtp_iq uses with this server.
fake_conf() {
	conf_set "$FAKE_DIR/conf" "$@"
}

# The server must have run its script to the end (exit 0).
fake_finish() {
	local rc=0
	wait "$FAKE_PID" || rc=$?
	FAKE_PID=
	if [ "$rc" -ne 0 ]; then
		echo "fake server exit $rc:"; cat "$FAKE_DIR/err"
		return 1
	fi
}

fake_teardown() {
	stop_pid "$FAKE_PID"
	FAKE_PID=
	if [ -n "${FAKE_DIR:-}" ]; then rm -rf "$FAKE_DIR"; fi
	FAKE_DIR=
}

# The opening of a session: greeting and an LHLO reply offering $@.
lhlo_offering() {
	echo 'send 220 fake.test LMTP ready'
	echo 'expect LHLO client.test'
	echo 'send 250-fake.test'
	local cap
	for cap in "$@"; do echo "send 250-$cap"; done
	echo 'send 250 Ok'
}

# The fake server's side of the common dialogue, as script lines:
# fake_envelope SENDER RCPT...: the opening (PIPELINING, IGNOREQUOTA,
# ENHANCEDSTATUSCODES offered), then the envelope lmtp-iq sends for
# SENDER ("" for <>) and each RCPT, with IGNOREQUOTA.
fake_envelope() {
	lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	echo "expect MAIL FROM:<$1>"
	shift
	local r
	for r in "$@"; do echo "expect RCPT TO:<$r> IGNOREQUOTA"; done
	echo 'expect DATA'
}

# fake_accepts [N]: MAIL and N (1) RCPTs accepted, DATA's 354, the body
# taken; the replies after the dot are the test's.
fake_accepts() {
	local i
	echo 'send 250 2.1.0 ok'
	for ((i = 0; i < ${1:-1}; i++)); do echo 'send 250 2.1.5 ok'; done
	echo 'send 354 go ahead'
	echo 'data'
}

# fake_bye: QUIT, answered.
fake_bye() {
	echo 'expect QUIT'
	echo 'send 221 bye'
}

# What the client sends to open a session, as bytes on the wire.
WIRE_LHLO=$'LHLO client.test\r\n'
