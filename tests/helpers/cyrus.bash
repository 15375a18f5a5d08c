# SPDX-License-Identifier: ISC
# A throwaway Cyrus IMAP (lmtpd under master) in a temp dir, started and
# stopped by PID.  Listens on a UNIX socket (no AUTH), on a random
# loopback TCP port below 1024 that demands AUTH (sasldb admin "cyrus"),
# and, where ::1 is configured, on an IPv6 loopback port with AUTH too.
#
# Users alice bob carol dave erin are created on first delivery with a
# 10 KiB quota.  The harness runs as root; master drops to user cyrus.
# CYRUS_USERS replaces that list, CYRUS_QUOTA (KiB) the quota,
# CYRUS_PLAINTEXT (yes) is allowplaintext;
# CYRUS_EXTRA_CONF is appended to imapd.conf.

CYRUS_LIB=/usr/lib/cyrus/bin
CYRUS_ADMIN_PASSWORD=cyrus-admin-pw
CYRUS_MECHS="PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256"

# The Cyrus installed, as "3.10.2" (master -V: "cyrus-imapd 3.10.2-...").
cyrus_version() {
	"$CYRUS_LIB/master" -V 2>&1 | sed -n 's/^cyrus-imapd \([0-9][0-9.]*[0-9]\).*/\1/p'
}

# The imapd.conf lines that make lmtpd offer STARTTLS on TCP, given a
# certificate and key.  Cyrus 3.10.2 offers it only with allowstarttls
# (new there, off by default: RFC 8314 prefers implicit TLS); 3.6 has
# no such switch and offers STARTTLS whenever the two files are set.
cyrus_starttls_conf() {
	echo "tls_server_cert: $1"
	echo "tls_server_key: $2"
	if printf '%s\n3.10.2\n' "$(cyrus_version)" | sort -V -C -u; then
		return 0	# older than 3.10.2
	fi
	echo "allowstarttls: yes"
}

have_ipv6_loopback() {
	ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'
}

cyrus_write_config() {
	local d=$CYRUS_DIR
	cat > "$d/imapd.conf" <<-EOF
	configdirectory: $d/conf
	partition-default: $d/spool
	lmtpsocket: $d/socket/lmtp
	servername: cyrus.test
	autocreate_post: 1
	autocreate_quota: ${CYRUS_QUOTA:-10}
	autocreate_users: ${CYRUS_USERS:-alice bob carol dave erin}
	duplicatesuppression: 0
	admins: cyrus
	allowplaintext: ${CYRUS_PLAINTEXT:-yes}
	sasl_pwcheck_method: auxprop
	sasl_auxprop_plugin: sasldb
	sasl_sasldb_path: $d/sasldb2
	sasl_mech_list: $CYRUS_MECHS
	sievedir: $d/sieve
	sendmail: $d/bin/sendmail
	${CYRUS_EXTRA_CONF:-}
	EOF
	{
		echo 'SERVICES {'
		echo "  lmtpunix cmd=\"lmtpd -C $d/imapd.conf\" listen=\"$d/socket/lmtp\" prefork=0"
		echo "  lmtp cmd=\"lmtpd -C $d/imapd.conf\" listen=\"127.0.0.1:$CYRUS_PORT\" prefork=0"
		[ -n "$CYRUS_PORT6" ] &&
			echo "  lmtp6 cmd=\"lmtpd -C $d/imapd.conf\" listen=\"[::1]:$CYRUS_PORT6\" prefork=0"
		echo '}'
	} > "$d/cyrus.conf"
}

# Start master for the instance in $CYRUS_DIR, in the background.
# master SIGTERMs its whole process group on exit: give it its own.
cyrus_master() {
	local log=()
	# CYRUS_LOG=1: Cyrus's own syslog lines in $CYRUS_DIR/cyrus.log,
	# through a /dev of its own (logdev_start); a restart keeps the
	# listener.
	if [ -n "${CYRUS_LOG:-}" ]; then
		if [ ! -S "$CYRUS_DIR/dev/log" ]; then
			logdev_start "$CYRUS_DIR" "$CYRUS_DIR/cyrus.log"
			CYRUS_LOG_PID=$LOGDEV_PID
		fi
		log=(unshare -m sh -c "$LOGDEV_MOUNT"' && exec "$@"' "$CYRUS_DIR")
	fi
	setsid "${log[@]}" "$CYRUS_LIB/master" -C "$CYRUS_DIR/imapd.conf" \
		-M "$CYRUS_DIR/cyrus.conf" -p "$CYRUS_DIR/master.pid" -D \
		>>"$CYRUS_DIR/master.log" 2>&1 3>&- </dev/null &
}

cyrus_start() {
	need_package cyrus-imapd "$CYRUS_LIB/lmtpd" || return 1
	need_package sasl2-bin /usr/sbin/saslpasswd2 || return 1
	CYRUS_DIR=$(make_tmp cyrus)
	mkdir -p "$CYRUS_DIR/conf/socket" "$CYRUS_DIR/spool" "$CYRUS_DIR/socket" \
		"$CYRUS_DIR/sieve" "$CYRUS_DIR/bin"
	# Sieve's redirect speaks SMTP to "sendmail -bs"; a test that wants it
	# serves $CYRUS_DIR/smtp.sock (see cyrus_sieve).
	printf '#!/bin/sh\nexec socat - UNIX-CONNECT:%s/smtp.sock\n' "$CYRUS_DIR" > "$CYRUS_DIR/bin/sendmail"
	chmod 755 "$CYRUS_DIR/bin/sendmail"
	# Below 1024 (master binds as root): lmtp-iq sends a password as it is
	# (PLAIN, LOGIN) over loopback only to a port no other user can take.
	CYRUS_PORT=$(free_port 600 1023)
	CYRUS_PORT6=
	have_ipv6_loopback && CYRUS_PORT6=$(free_port 600 1023)
	cyrus_write_config
	# sasldb entries are keyed by user@realm; the realm is servername.
	echo -n "$CYRUS_ADMIN_PASSWORD" |
		saslpasswd2 -f "$CYRUS_DIR/sasldb2" -u cyrus.test -p -c cyrus
	chown -R cyrus:mail "$CYRUS_DIR"
	cyrus_master
	"$TOOLS/rawlmtp" -s "unix:$CYRUS_DIR/socket/lmtp" -w 10 &&
		"$TOOLS/rawlmtp" -s "127.0.0.1:$CYRUS_PORT" -w 10 || {
		echo "cyrus did not come up; master.log:" >&2
		cat "$CYRUS_DIR/master.log" >&2
		return 1
	}
	CYRUS_PID=$(cat "$CYRUS_DIR/master.pid")
	CYRUS_SOCK=$CYRUS_DIR/socket/lmtp
}

# Stop master (it takes its lmtpd children along); keep the files.  The
# PID comes from master's pidfile: a test may have restarted it.
cyrus_halt() {
	local pid
	pid=$(cat "${CYRUS_DIR:-/nonexistent}/master.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	# Gone for sure before anyone starts another: a master that is still
	# shutting down (a loaded machine) would later remove the sockets
	# the next one made.
	if ! wait_until 20 "! kill -0 $pid 2>/dev/null"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_until 5 "! kill -0 $pid 2>/dev/null" || true
	fi
	rm -f "$CYRUS_DIR/master.pid"
	CYRUS_PID=
}

# Start master again in the same directory (same mailboxes).
cyrus_resume() {
	cyrus_master
	"$TOOLS/rawlmtp" -s "unix:$CYRUS_SOCK" -w 10 || return 1
	CYRUS_PID=$(cat "$CYRUS_DIR/master.pid")
}

cyrus_stop() {
	cyrus_halt
	stop_pid "${CYRUS_LOG_PID:-}"
	CYRUS_LOG_PID=
	if [ -n "${CYRUS_DIR:-}" ]; then rm -rf "$CYRUS_DIR"; fi
	CYRUS_DIR=
}

cyrus_tool() {
	local tool=$1
	shift
	runuser -u cyrus -- "$CYRUS_LIB/$tool" -C "$CYRUS_DIR/imapd.conf" "$@"
}

# Storage used by user/$1 in KiB, as Cyrus counts it.
cyrus_usage() {
	cyrus_tool quota 2>/dev/null | awk -v m="user/$1" '$NF == m && $(NF-1) == "STORAGE" { print $(NF-2) }'
}

# Number of messages in user/$1's INBOX (0 when it does not exist yet).
cyrus_count() {
	local dir
	dir=$(cyrus_tool mbpath "user/$1" 2>/dev/null) || { echo 0; return; }
	mailbox_count "$dir"
}

# Messages in a Cyrus mailbox directory (DIR from mbpath).
mailbox_count() {
	find "$1" -maxdepth 1 -name '[0-9]*.' | wc -l
}

# lmtp_put SERVER USER: deliver stdin (CRLF lines) to USER at SERVER
# with the raw client, no IGNOREQUOTA.
lmtp_put() {
	local f rc=0
	f=$(mktemp /tmp/lmtpiq-put.XXXXXX)
	cat > "$f"
	"$TOOLS/rawlmtp" -s "$1" -f "$f" "$2" || rc=$?
	rm -f "$f"
	return "$rc"
}

# A 12 KiB message: over a 10 KiB quota by itself.
filler() {
	printf 'Subject: filler\r\n\r\n'
	for _ in $(seq 1 160); do printf '%075d\r\n' 0; done
}

# Path of the newest message in user/$1's INBOX.
cyrus_newest() {
	local dir
	dir=$(cyrus_tool mbpath "user/$1") || return 1
	echo "$dir/$(find "$dir" -maxdepth 1 -name '[0-9]*.' -printf '%f\n' | sort -n | tail -1)"
}

# cyrus_trail LINE USER: lmtp-iq's log LINE leads to the message
# stored last for USER (by the Message-ID it names) and to Cyrus's own
# Delivered: line in $CYRUS_DIR/cyrus.log (CYRUS_LOG=1): from 3.10 on
# by the SESSIONID it gives, before by the Message-ID alone (3.6 logs
# "Delivered: <msgid> to mailbox: user.alice").
cyrus_trail() {
	local msgid sid delivered
	msgid=$(sed -n 's/.*, msgid=\(<[^>]*>\), .*/\1/p' <<< "$1")
	sid=$(sed -n 's/.*, sessionid=\(<[^>]*>\), stat=Sent.*/\1/p' <<< "$1")
	[ -n "$msgid" ] && [ -n "$sid" ] || { echo "no msgid= or sessionid= in: $1"; return 1; }
	tr -d '\r' < "$(cyrus_newest "$2")" | grep -qixF "Message-ID: $msgid" ||
		{ echo "$2's newest message is not $msgid"; return 1; }
	sleep 0.2	# the log listener writes after Cyrus's reply
	delivered=$(log_lines "$CYRUS_DIR/cyrus.log" | grep -a 'lmtpunix\[[0-9]*\]: Delivered: ')
	if printf '%s\n3.10\n' "$(cyrus_version)" | sort -V -C; then
		grep -qF "Delivered: $msgid to mailbox: user.$2" <<< "$delivered" ||
			grep -qF "Delivered: $msgid to mailbox: user/$2" <<< "$delivered"
	else
		grep -q "Delivered: sessionid=$sid action=.* messageid=$msgid userid=<$2> mailbox=<user[./]$2>" <<< "$delivered"
	fi || { echo "Cyrus logged no Delivered: line for $msgid ($sid)"; tail -5 "$CYRUS_DIR/cyrus.log"; return 1; }
}

# Take user/$1 over its 10 KiB quota with one 12 KiB message, delivered
# while still under quota (Cyrus then accepts it).
cyrus_fill() {
	filler | lmtp_put "unix:$CYRUS_SOCK" "$1"
	[ "$(cyrus_usage "$1")" -ge 10 ]
}

# cyrus_sieve USER SCRIPT: make SCRIPT (Sieve source) USER's active
# script.  Cyrus 3.6 keeps it per mailbox UUID (mbpath -S); the mailbox
# must exist.
cyrus_sieve() {
	local dir
	dir=$(cyrus_tool mbpath -u -S "$1") || return 1
	mkdir -p "$dir"
	printf '%s\n' "$2" > "$dir/test.script"
	"$CYRUS_LIB/sievec" -C "$CYRUS_DIR/imapd.conf" "$dir/test.script" "$dir/test.bc" || return 1
	ln -sf test.bc "$dir/defaultbc"
	chown -R cyrus:mail "$CYRUS_DIR/sieve"
}

# setup_file for a suite that shares one Cyrus, alice already over quota.
cyrus_suite_start() {
	cyrus_start
	cyrus_fill alice
	export CYRUS_DIR CYRUS_PID CYRUS_SOCK CYRUS_PORT CYRUS_PORT6
}

# A suite of tests against one Cyrus: setup_file (1 when the suite is
# skipped) and teardown_file.
cyrus_suite_setup() {
	suite_needs_root "Cyrus runs as its own user from a temp dir" || return 1
	cyrus_suite_start
}

cyrus_suite_teardown() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	cyrus_stop
}
