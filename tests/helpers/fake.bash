# SPDX-License-Identifier: ISC
# The scripted fake LMTP server (tests/tools/fakelmtp.c).
# fake_start reads the script on stdin; lmtp_iq runs the mailer against it
# with a config of its own; fake_finish waits for the server and checks
# that it ran its whole script.

# Scripts are piped in: run fake_start in this shell, not a subshell.
shopt -s lastpipe

fake_start() {
	FAKE_DIR=$(make_tmp fake)
	cat > "$FAKE_DIR/script"
	printf 'lhlo_name = client.test\nsyslog = no\n' > "$FAKE_DIR/conf"
	"$TOOLS/fakelmtp" -l "unix:$FAKE_DIR/sock" -s "$FAKE_DIR/script" \
		-r "$FAKE_DIR/record" -p "$FAKE_DIR/ready" 2>"$FAKE_DIR/err" 3>&- &
	FAKE_PID=$!
	wait_file "$FAKE_DIR/ready"
}

lmtp_iq() {
	"$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" "$@"
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

# What the client sends to open a session, as bytes on the wire.
WIRE_LHLO=$'LHLO client.test\r\n'
