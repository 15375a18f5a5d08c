# A test Sendmail: the Debian cf tree copied into a temp dir with the
# project's m4 files, a sendmail.cf built from tests/fixtures/test.mc,
# and every path (queue, aliases, maps, hosts) inside that dir.  It is
# run in a private mount namespace with its own /etc/hosts, so that it
# finds a fully qualified name at once instead of stalling for 60 s.
#
# Needs cyrus.bash's Cyrus running (CYRUS_SOCK).  Bounces to
# anything@capture.test are appended to $SM_DIR/captured.
# SM_IQ_ARGS replaces the mailer's A= (DIR stands for the temp dir), and
# SM_MAILERTABLE adds mailertable lines.

SM_BIN=/usr/sbin/sendmail-mta
SM_CF_TREE=/usr/share/sendmail/cf

sendmail_setup() {
	need_package sendmail-bin "$SM_BIN" || return 1
	need_package sendmail-cf "$SM_CF_TREE/m4/cf.m4" || return 1
	need_package m4 /usr/bin/m4 || return 1
	SM_DIR=$(make_tmp sendmail)
	chmod 755 "$SM_DIR"
	local d=$SM_DIR host
	host=$(hostname)
	cp -r "$SM_CF_TREE" "$d/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$d/cf/mailer/"
	cp "$TOP/m4/lmtp_iq_notices.m4" "$d/cf/feature/"
	mkdir -m 700 "$d/mqueue"
	mkdir -m 755 "$d/bin"
	# The mailer runs as cyrus: it needs a binary and a config it can read.
	install -m 755 "$LMTP_IQ" "$d/bin/lmtp-iq"
	printf 'server = unix:%s\nsyslog = no\ntimeout = 5\n' "$CYRUS_SOCK" > "$d/lmtp-iq.conf"
	chmod 644 "$d/lmtp-iq.conf"
	printf '127.0.0.1 localhost\n127.0.1.1 %s.example.test %s\n' "$host" "$host" > "$d/hosts"
	printf 'hosts files\naliases files\n' > "$d/service.switch"
	printf 'postmaster: postmaster@capture.test\nMAILER-DAEMON: postmaster\n' > "$d/aliases"
	printf 'notices.example.test\tlmtp_iq:localhost\ncapture.test\tcapture:localhost\n%s' \
		"${SM_MAILERTABLE:-}" > "$d/mailertable"
	printf '192.0.2.10\n198.51.100\n' > "$d/trusted"
	printf 'LmtpIq:192.0.2.50\tOK\nLmtpIq:10.9\tOK\nTo:notices.example.test\tRELAY\n' > "$d/access"
	touch "$d/captured"
	chmod 666 "$d/captured"
	# The capture mailer appends each message it gets, then a separator.
	printf '#!/bin/sh\ncat >> %s/captured\necho ===== >> %s/captured\n' "$d" "$d" > "$d/bin/capture"
	chmod 755 "$d/bin/capture"
	local args=${SM_IQ_ARGS:-'lmtp-iq -C DIR/lmtp-iq.conf -f $g -- $u'}
	sed -e "s|@IQ_ARGS@|${args//DIR/$d}|" -e "s|@DIR@|$d|g" -e "s|@CYRUS_SOCK@|$CYRUS_SOCK|g" \
		"$TOP/tests/fixtures/test.mc" > "$d/test.mc"
	m4 -D_CF_DIR_="$d/cf/" "$d/cf/m4/cf.m4" "$d/test.mc" > "$d/test.cf" || return 1
	makemap hash "$d/mailertable" < "$d/mailertable"
	makemap hash "$d/access" < "$d/access"
	sm -bi >/dev/null
}

sendmail_teardown() {
	[ -n "${SM_DIR:-}" ] && rm -rf "$SM_DIR"
	SM_DIR=
}

# sm ARGS...: run the test Sendmail with its own /etc/hosts.
sm() {
	unshare -m sh -c 'mount --bind "$1" /etc/hosts && cf=$2 && shift 2 &&
		exec "$0" -C "$cf" "$@"' "$SM_BIN" "$SM_DIR/hosts" "$SM_DIR/test.cf" "$@"
}

# -bt output for one address through ruleset 3,0 (resolution).
resolve() {
	printf '3,0 %s\n' "$1" | sm -bt 2>/dev/null | grep '^parse *returns:'
}

# check_rcpt as an SMTP client would meet it: MACRO=VALUE arguments set
# macros ({client_addr}, {auth_type}); arguments starting with "." are
# -bt commands given as they are (".CR domain" adds to class R).
check_rcpt_as() {	# check_rcpt_as ADDR [MACRO=VALUE | .CMD]...
	local addr=$1 m
	shift
	{ for m in "$@"; do
		case $m in
		.*) printf '%s\n' "$m" ;;
		*) printf '.D{%s}%s\n' "${m%%=*}" "${m#*=}" ;;
		esac
	  done
	  printf 'check_rcpt <%s>\n' "$addr"; } |
		sm -bt 2>/dev/null | grep '^check_rcpt *returns:'
}

# Messages waiting in the test queue.
sm_queued() {
	find "$SM_DIR/mqueue" -name 'qf*' | wc -l
}
