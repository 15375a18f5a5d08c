#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Command line, config file, bad input and logging: clear one-line errors
# and the right exit status, and nothing on the wire for a bad envelope.
# The command line is what these tests are about: they call "$LMTP_IQ"
# with their exact words rather than through lmtp_iq, which adds -C, -s
# and -f.

load helpers/common
load helpers/fake

setup() {
	MSG=$(make_tmp msg)
	printf 'Subject: notice\n\nbody\n' > "$MSG/notice"
}

teardown() {
	fake_teardown
	rm -rf "$MSG"
}

# A fake server that must see no connection at all: it fails its first
# expect if anyone connects, and is stopped by the test.
silent_server() {
	echo 'expect NOBODY-SHOULD-CONNECT' | fake_start
}

# What lmtp-iq says of a config without notice_senders.
NEED_SENDERS='notice_senders is not set: lmtp-iq delivers nothing until it names the notice senders (or ignorequota = off), since every sender'"'"'s mail would pass the quota'

nothing_on_the_wire() {
	stop_pid "$FAKE_PID"
	FAKE_PID=
	[ ! -s "$FAKE_DIR/record" ]
}

@test "usage: no recipients keeps the mail queued (75) with one line" {
	run "$LMTP_IQ" -C "$BASE_CONF"
	assert_status 75
	[ "$output" = "lmtp-iq: no recipients; try lmtp-iq -h; the message stays queued" ]
}

@test "usage: an unknown option in delivery mode is 75, a typo in A= must not bounce notices" {
	run "$LMTP_IQ" -C "$BASE_CONF" -x alice
	assert_status 75
	[ "$output" = "lmtp-iq: unknown option: -x; try lmtp-iq -h; the message stays queued" ]
}

@test "usage: an option without its value is 75" {
	run "$LMTP_IQ" -C "$BASE_CONF" -f
	assert_status 75
	assert_output_has 'option needs a value'
}

@test "usage: a bad -q policy is 75" {
	run "$LMTP_IQ" -C "$BASE_CONF" -q requre alice
	assert_status 75
	assert_output_has '-q takes require, auto, force or off, not: requre'
}

@test "usage: a bad -t timeout is 75" {
	run "$LMTP_IQ" -C "$BASE_CONF" -t 0 alice
	assert_status 75
	run "$LMTP_IQ" -C "$BASE_CONF" -t 5s alice
	assert_status 75
	run "$LMTP_IQ" -C "$BASE_CONF" -t 86401 alice
	assert_status 75
}

@test "usage: with -n, run by hand, command-line errors are 64" {
	run "$LMTP_IQ" -C "$BASE_CONF" -n -x
	assert_status 64
	run "$LMTP_IQ" -C "$BASE_CONF" -q sometimes -n
	assert_status 64
	run "$LMTP_IQ" -C "$BASE_CONF" -vn -t 0
	assert_status 64
	assert_output_lacks 'stays queued'
	# An "n" inside an option's value is not -n.
	run "$LMTP_IQ" -C "$BASE_CONF" -vfnobody@example.org -x alice
	assert_status 75
}

@test "usage: -n with recipients is 64" {
	run "$LMTP_IQ" -C "$BASE_CONF" -n alice
	assert_status 64
}

@test "-V and --version print the version, -h and --help the usage, all exit 0" {
	run "$LMTP_IQ" -V
	assert_status 0
	[[ "$output" =~ ^lmtp-iq\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$LMTP_IQ" --version
	assert_status 0
	[[ "$output" =~ ^lmtp-iq\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$LMTP_IQ" -h
	assert_status 0
	assert_output_has 'usage: lmtp-iq [-C config]'
	usage=$output
	run "$LMTP_IQ" --help
	assert_status 0
	[ "$output" = "$usage" ]
	run "$LMTP_IQ" -C "$BASE_CONF" -v --help
	assert_status 0
	[ "$output" = "$usage" ]
}

@test "usage: an unknown option is named as given: a long one, one inside a group of letters" {
	run "$LMTP_IQ" -C "$BASE_CONF" --halp alice
	assert_status 75
	[ "$output" = "lmtp-iq: unknown option: --halp; try lmtp-iq -h; the message stays queued" ]
	run "$LMTP_IQ" -C "$BASE_CONF" -vx alice
	assert_status 75
	[ "$output" = "lmtp-iq: unknown option: -x; try lmtp-iq -h; the message stays queued" ]
	run "$LMTP_IQ" -C "$BASE_CONF" -vf
	assert_status 75
	[ "$output" = "lmtp-iq: option needs a value: -f; try lmtp-iq -h; the message stays queued" ]
	# After -- a word is a recipient, whatever it looks like.
	run "$LMTP_IQ" -C "$BASE_CONF" -s unix:/nonexistent -- --help < "$MSG/notice"
	assert_status 75
	assert_output_lacks 'usage'
}

bad_envelope() {
	silent_server
	run lmtp_iq "$@" < "$MSG/notice"
	assert_status 65
	[ "${#lines[@]}" -eq 1 ]
	assert_output_has 'nothing sent'
	# Its status first, as Postfix's pipe(8) reads it: a bad sender's
	# address is 5.1.7, a recipient's 5.1.3.
	case $output in
	*' sender: '*) [[ $output == '5.1.7 lmtp-iq: sender: '* ]] ;;
	*) [[ $output == '5.1.3 lmtp-iq: recipient '* ]] ;;
	esac
	nothing_on_the_wire
}

@test "input: CR in a recipient is 65 and nothing is sent" {
	bad_envelope $'alice\rRSET'
}
@test "input: LF in a recipient is 65 and nothing is sent" {
	bad_envelope $'alice>\nDATA'
}
@test "input: LF in the sender is 65 and nothing is sent" {
	bad_envelope -f $'x@y\nRCPT TO:<root>' alice
}
@test "input: '>' in a recipient (parameter injection) is 65 and nothing is sent" {
	bad_envelope 'alice> NOTIFY=NEVER'
}
@test "input: '<' in the sender is 65 and nothing is sent" {
	bad_envelope -f '<x@y>' alice
}
@test "input: an empty recipient is 65 and nothing is sent" {
	bad_envelope alice ''
}
@test "input: a tab in a recipient is 65 and nothing is sent" {
	bad_envelope $'ali\tce'
}
@test "input: a source route in the sender or a recipient is 65 and nothing is sent, as in LMTP mode" {
	bad_envelope -f '@evil.example:quota-warn@example.org' alice
	assert_output_has 'sender: source route in address (not accepted)'
	bad_envelope -f quota-warn@example.org '@a.example,@b.example:alice@example.org'
	assert_output_has 'recipient 1: source route in address (not accepted)'
}

@test "input: an address longer than RFC 5321 allows is 65 and nothing is sent" {
	bad_envelope "$(head -c 300 /dev/zero | tr '\0' a)"
}

@test "input: an unreadable stdin is 74 and the server gets no final dot" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'; } | fake_start
	run lmtp_iq alice < /
	assert_status 74
	# 74 is transient to Sendmail; the leading 4.3.0 makes it so for
	# Postfix's pipe(8) too, which bounces a bare 74.
	[ "$output" = '4.3.0 lmtp-iq: reading the message from standard input: Is a directory; nothing delivered' ]
	fake_finish
	run ! grep -q $'^\\.\r$' "$FAKE_DIR/record"
	! grep -q 'QUIT' "$FAKE_DIR/record"
}

@test "input: a closed stdin is 75 \"no message on stdin\" and nothing is sent, in argv and LMTP mode" {
	silent_server
	# bats's run gives its command a stdin of its own: close it inside.
	run sh -c 'exec "$@" 0<&-' sh "$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" alice
	assert_status 75
	[ "$output" = 'lmtp-iq: no message on stdin (it is closed); nothing sent; the message stays queued' ]
	nothing_on_the_wire
	silent_server
	run sh -c 'exec "$@" 0<&-' sh "$LMTP_IQ" -l -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock"
	assert_status 75
	assert_output_has 'no message on stdin'
	nothing_on_the_wire
}

@test "usage: -s is checked as server = is: a tab or a control byte is 75, shown escaped, nothing sent" {
	silent_server
	run "$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock"$'\t/b' alice < "$MSG/notice"
	assert_status 75
	[ "$output" = "lmtp-iq: a space or tab inside one server: unix:$FAKE_DIR/sock\\x09/b; try lmtp-iq -h; the message stays queued" ]
	run "$LMTP_IQ" -C "$FAKE_DIR/conf" -s $'127.0.0.1:24\e[2J' alice < "$MSG/notice"
	assert_status 75
	[ "$output" = 'lmtp-iq: a control character in a server: 127.0.0.1:24\x1b[2J; try lmtp-iq -h; the message stays queued' ]
	nothing_on_the_wire
}

@test "usage: nothing from the command line reaches stderr unescaped (-C, an unknown option)" {
	run "$LMTP_IQ" -C $'x\ry' alice < "$MSG/notice"
	assert_status 75
	[ "$output" = 'lmtp-iq: -C takes a file name without control characters, not: x\x0dy; try lmtp-iq -h; the message stays queued' ]
	run "$LMTP_IQ" -C "$BASE_CONF" $'-\x01' alice < "$MSG/notice"
	assert_status 75
	[ "$output" = 'lmtp-iq: unknown option: -\x01; try lmtp-iq -h; the message stays queued' ]
}

@test "config: a missing -C file keeps the mail queued (75); -n says 78" {
	run "$LMTP_IQ" -C "$MSG/nonexistent.conf" alice < "$MSG/notice"
	assert_status 75
	[ "$output" = "lmtp-iq: config: $MSG/nonexistent.conf: No such file or directory; the message stays queued" ]
	run "$LMTP_IQ" -C "$MSG/nonexistent.conf" -n
	assert_status 78
}

# config_refused CONTENT "LINE: REASON": a config file with CONTENT
# (printf format) keeps the mail queued with exactly that one line.
config_refused() {
	printf "$1" > "$MSG/c"
	run "$LMTP_IQ" -C "$MSG/c" alice < "$MSG/notice"
	assert_status 75
	[ "$output" = "lmtp-iq: config: $MSG/c:$2; the message stays queued" ]
}

@test "config: an unknown key is reported as file:line and is 75" {
	config_refused '# lmtp-iq\n\nserver = /x\nservre = /y\n' "4: unknown key 'servre'"
}

@test "config: bad values are reported as file:line" {
	for bad in 'ignorequota = maybe' 'timeout = -1' 'syslog = perhaps' \
	    'lhlo_name = two words' 'timeout =' 'just words' \
	    'auth_password_file = relative/path' 'auth_mechanisms = PLAIN;rm'; do
		printf 'syslog = no\n%s\n' "$bad" > "$MSG/c"
		run "$LMTP_IQ" -C "$MSG/c" alice < "$MSG/notice"
		assert_status 75
		[[ "$output" == "lmtp-iq: config: $MSG/c:2: "* ]]
		run "$LMTP_IQ" -C "$MSG/c" -n
		assert_status 78
	done
}

@test "config: server, timeout and lhlo_name come from the file; -s overrides server" {
	{ echo 'send 220 fake'; echo 'expect LHLO from-config.test'; echo 'stall'; } | fake_start
	# Written as text: a comment after a value is part of what is read.
	printf 'server = unix:%s\nlhlo_name = from-config.test\ntimeout = 1  # short\nsyslog = no\nnotice_senders = %s\n' \
		"$FAKE_DIR/sock" "$NOTICE_SENDER" > "$MSG/c"
	start=$SECONDS
	run "$LMTP_IQ" -C "$MSG/c" alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'timeout after 1 s waiting for the reply to LHLO'
	[ $((SECONDS - start)) -lt 5 ]
	fake_finish
	run "$LMTP_IQ" -C "$MSG/c" -s unix:/nonexistent/x alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'cannot connect to unix:/nonexistent/x'
}

@test "config: a missing default file is not an error of its own: what is missing is notice_senders (safe by default)" {
	need_root "reads syslog through a private mount namespace"
	silent_server
	# Hide whatever /etc/mail holds on this machine, in this process only.
	run unshare -m sh -c 'mount -t tmpfs none /etc/mail && exec "$0" -s "$1" -n' \
		"$LMTP_IQ" "unix:/nonexistent/sock"
	assert_status 78
	[ "$output" = "lmtp-iq: config: $NEED_SENDERS" ]
	# With -q off nothing passes the quota: no list needed.
	run unshare -m sh -c 'mount -t tmpfs none /etc/mail && exec "$0" -s "$1" -q off -n' \
		"$LMTP_IQ" "unix:/nonexistent/sock"
	assert_status 75
	assert_output_lacks 'config'
	assert_output_has 'cannot connect to unix:/nonexistent/sock'
}

@test "start: stdout closed and no /dev/null to put in its place: 71 (transient), one syslog line, nothing sent" {
	need_root "replaces /dev in a private mount namespace"
	silent_server
	syslog_listen
	rm "$MSG/dev/null"
	mkdir "$MSG/dev/null"	# open() of a directory for writing fails
	run unshare -m sh -c 'mount --bind "$1" /dev && shift && exec "$@" < "$0" >&-' \
		"$MSG/notice" "$MSG/dev" "$LMTP_IQ" -C "$BASE_CONF" -s "unix:$FAKE_DIR/sock" \
		-f "$NOTICE_SENDER" alice
	syslog_stop
	assert_status 71
	grep -q 'lmtp-iq\[[0-9]*\]: start: standard input, output or error is closed and /dev/null cannot be opened; nothing sent; the message stays queued' "$MSG/syslog"
	nothing_on_the_wire
}

@test "syslog: one LOG_MAIL line per recipient in Sendmail's style" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'expect RCPT TO:<carol> IGNOREQUOTA'
	  echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 2.1.5 ok'; echo 'send 550 5.1.1 User unknown'
	  echo 'send 250 ok'
	  echo 'send 354 go'; echo 'data'; echo 'send 250 2.1.5 Success'; echo 'send 554 No'
	  fake_bye; } | fake_start
	fake_conf syslog yes
	logged_iq alice bob carol
	assert_status 67
	fake_finish
	grep -q 'lmtp-iq\[[0-9]*\]: to=<alice>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:.*/sock, ignorequota=yes, dsn=2.1.5, sessionid=[^,]*, stat=Sent (250 2.1.5 Success)' "$MSG/syslog"
	grep -q 'lmtp-iq\[[0-9]*\]: to=<bob>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:.*/sock, ignorequota=yes, dsn=5.1.1, sessionid=[^,]*, stat=Bounced (550 5.1.1 User unknown)' "$MSG/syslog"
	# No enhanced code: the DSN class comes from the reply code.
	grep -q 'lmtp-iq\[[0-9]*\]: to=<carol>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:.*/sock, ignorequota=yes, dsn=5.0.0, sessionid=[^,]*, stat=Bounced (554 No)' "$MSG/syslog"
	# LOG_MAIL (2) * 8 + LOG_INFO (6) = 22; LOG_NOTICE (5) = 21
	grep -q '^<22>' "$MSG/syslog"
}

@test "auth: AUTH PLAIN carries authzid, user and secret exactly, and the trace hides them" {
	printf 'the-secret\n' > "$MSG/secret"
	chmod 600 "$MSG/secret"
	b64=$(printf 'boss\0cyrus\0the-secret' | base64 -w0)
	{ lhlo_offering PIPELINING IGNOREQUOTA 'AUTH PLAIN'
	  echo "expect AUTH PLAIN $b64"; echo 'send 235 2.7.0 ok'
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'
	  echo 'data'; echo 'send 250 ok'; fake_bye; } | fake_start
	fake_conf auth_user cyrus
	fake_conf auth_authzid boss
	fake_conf auth_password_file "$MSG/secret"
	fake_conf auth_mechanisms PLAIN
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 0
	assert_output_has '>>> AUTH PLAIN [redacted]'
	assert_output_lacks "$b64"
	assert_output_lacks 'the-secret'
	fake_finish
}

@test "auth: a server that does not offer AUTH while auth_user is set is 75" {
	printf 'x\n' > "$MSG/secret"; chmod 600 "$MSG/secret"
	{ lhlo_offering PIPELINING IGNOREQUOTA; fake_bye; } | fake_start
	fake_conf auth_user cyrus
	fake_conf auth_password_file "$MSG/secret"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'does not offer AUTH, but auth_user is set'
	fake_finish
}

@test "syslog: mail from a sender outside notice_senders is logged ignorequota=no with the reason" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<someone@example.org>'; echo 'expect RCPT TO:<alice>'
	  echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 452 4.2.2 Over quota'; echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	fake_conf syslog yes
	fake_conf notice_senders quota@example.org
	logged_iq -f someone@example.org alice
	assert_status 75
	fake_finish
	grep -q 'to=<alice>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:.*/sock, ignorequota=no (sender <someone@example.org> is not in notice_senders), dsn=4.2.2, sessionid=[^,]*, stat=Deferred (452 4.2.2 Over quota)' "$MSG/syslog"
}

@test "config: notice_senders refuses angle brackets except <> alone" {
	{ echo 'send 220 never used'; } > /dev/null
	C=$(make_tmp conf)
	for v in '<quota@example.org>' 'a<>b' 'quota@example.org>'; do
		conf_write "$C/conf" notice_senders "$v"
		run "$LMTP_IQ" -C "$C/conf" -s unix:/nonexistent -f x alice < /dev/null
		assert_status 75
		assert_output_has "notice_senders: expected addresses separated by spaces, <> for the null sender"
	done
	conf_write "$C/conf" notice_senders quota@example.org
	run "$LMTP_IQ" -C "$C/conf" -s unix:/nonexistent -f x alice < /dev/null
	assert_status 75
	assert_output_has 'cannot connect'
	# <> alone is read, and refused as a notice sender (safe by default).
	conf_write "$C/conf" notice_senders "<> quota@example.org"
	run "$LMTP_IQ" -C "$C/conf" -s unix:/nonexistent -f x alice < /dev/null
	assert_status 75
	assert_output_has 'notice_senders lists <>'
	rm -rf "$C"
}

@test "-n: reports the notice senders" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	fake_conf notice_senders "quota@example.org quota-warn@example.org"
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'notice senders: quota@example.org quota-warn@example.org'
	fake_finish
}

@test "-n -f: says what mail from that sender would carry, a notice sender or not; a bad -f is 65" {
	{ for i in 1 2 3; do
		[ "$i" -eq 1 ] || echo accept
		lhlo_offering PIPELINING IGNOREQUOTA
		echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
		fake_bye
	  done; } | fake_start
	run lmtp_iq -n -f bob@example.org
	assert_status 0
	assert_output_has 'ignorequota: advertised; policy require: mail from <bob@example.org>: RCPT will not carry IGNOREQUOTA (sender <bob@example.org> is not in notice_senders)'
	run lmtp_iq -n -f "$NOTICE_SENDER"
	assert_status 0
	assert_output_has "ignorequota: advertised; policy require: mail from <$NOTICE_SENDER>: RCPT will carry IGNOREQUOTA"
	run lmtp_iq -n -f '<>'
	assert_status 0
	assert_output_has 'mail from <>: RCPT will not carry IGNOREQUOTA'
	fake_finish
	run lmtp_iq -n -f $'bob\r@example.org'
	assert_status 65
	assert_output_has 'sender: '
}

@test "-n: a server it cannot reach: no word about TLS or STARTTLS, the reason, 75" {
	port=$(free_port)
	run "$LMTP_IQ" -C "$BASE_CONF" -n -s "127.0.0.1:$port"
	assert_status 75
	assert_output_has "result: cannot deliver: cannot connect to 127.0.0.1:$port"
	assert_output_lacks 'tls'
	assert_output_lacks 'STARTTLS'
}

@test "config: a FIFO as the config file is refused at once, 75, not a hang" {
	mkfifo "$MSG/fifo"
	run timeout 5 "$LMTP_IQ" -C "$MSG/fifo" alice < "$MSG/notice"
	assert_status 75
	assert_output_has "config: $MSG/fifo is not a regular file (a FIFO or a device would hang the delivery); the message stays queued"
}

@test "config: a config file that group or others can write is refused (75), naming its mode and the fix; nothing sent" {
	silent_server
	for mode in 0666 0664 0646; do
		cp "$FAKE_DIR/conf" "$MSG/c"
		chmod "$mode" "$MSG/c"
		run "$LMTP_IQ" -C "$MSG/c" -s "unix:$FAKE_DIR/sock" alice < "$MSG/notice"
		assert_status 75
		[ "$output" = "lmtp-iq: config: $MSG/c has mode $mode; group and others must not be able to write it (chmod go-w); the message stays queued" ]
	done
	nothing_on_the_wire
}

@test "config: a config file owned by another user (not root, not the caller) is refused" {
	need_root "chown to another user"
	cp "$BASE_CONF" "$MSG/c"
	chmod 644 "$MSG/c"
	chmod 755 "$MSG"
	chown nobody "$MSG/c"
	run "$LMTP_IQ" -C "$MSG/c" -s unix:/nonexistent alice < "$MSG/notice"
	assert_status 75
	assert_output_has "config: $MSG/c is owned by uid $(id -u nobody); only root or the user lmtp-iq runs as (uid 0) may own it (chown)"
	# The user lmtp-iq runs as may own it.
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$LMTP_IQ" -C "$MSG/c" -s unix:/nonexistent alice < "$MSG/notice"
	assert_output_lacks 'owned by'
	assert_output_has 'cannot connect to unix:/nonexistent'
}

@test "files: every directory on a named file's path is checked as safefile() does; a symlink on it is followed only when root owns it" {
	need_root "chown to another user"
	cp "$BASE_CONF" "$MSG/c"
	chmod 644 "$MSG/c"
	mkdir -p "$MSG/other/sub" "$MSG/ok"
	cp "$BASE_CONF" "$MSG/other/sub/c"
	cp "$BASE_CONF" "$MSG/ok/c"
	try() { run "$LMTP_IQ" -C "$1" -s unix:/nonexistent alice < "$MSG/notice"; }
	# Another user's directory on the way: they could swap what is below.
	chown nobody "$MSG/other"
	try "$MSG/other/sub/c"
	assert_status 75
	assert_output_has "config: $MSG/other/sub/c: the directory $MSG/other on its path is owned by uid $(id -u nobody); every directory on the path must be owned by root, a system account (uid below 1000) or the user lmtp-iq runs as (uid 0); the message stays queued"
	# A system account's directory is fine (Debian's /etc/mail is
	# Sendmail's smmta's).
	chown daemon "$MSG/other"
	try "$MSG/other/sub/c"
	assert_output_has 'cannot connect to unix:/nonexistent'
	# One that group or others can write, unless sticky and root's.
	chown root "$MSG/other"
	chmod 777 "$MSG/other"
	try "$MSG/other/sub/c"
	assert_output_has "the directory $MSG/other on its path has mode 0777; group and others must not be able to write it, unless it is sticky and root's (chmod go-w)"
	chmod 1777 "$MSG/other"
	try "$MSG/other/sub/c"
	assert_output_has 'cannot connect to unix:/nonexistent'
	# Sticky but not root's: the user's own sticky directory is not safe
	# (others may still put names in it).
	chmod 755 "$MSG"
	chmod 1777 "$MSG/ok"
	chown nobody "$MSG/ok"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$LMTP_IQ" \
		-C "$MSG/ok/c" -s unix:/nonexistent alice < "$MSG/notice"
	assert_output_has "the directory $MSG/ok on its path has mode 1777"
	chown root "$MSG/ok"
	chmod 755 "$MSG/ok"
	# A symlink on the way: another user's is not followed, root's is,
	# and its target is walked the same way.
	ln -s ok "$MSG/link"
	chown -h nobody "$MSG/link"
	try "$MSG/link/c"
	assert_output_has "config: $MSG/link/c: $MSG/link on its path is a symlink owned by uid $(id -u nobody); only root's are followed"
	chown -h root "$MSG/link"
	try "$MSG/link/c"
	assert_output_has 'cannot connect to unix:/nonexistent'
	ln -s "$MSG/other" "$MSG/abs"
	chmod 777 "$MSG/other"
	try "$MSG/abs/sub/c"
	assert_output_has "the directory $MSG/other on its path has mode 0777"
	# The file itself as a root symlink to a file under a bad directory.
	ln -s "$MSG/other/sub/c" "$MSG/c-link"
	try "$MSG/c-link"
	assert_output_has "the directory $MSG/other on its path has mode 0777"
	# A ".." in the path is not taken.
	try "$MSG/ok/../c"
	assert_output_has 'a path with ".." in it is not taken'
	# A name longer than a file name can be is that, never a shorter one.
	long=$(printf 'x%.0s' $(seq 1 255))
	cp "$BASE_CONF" "$MSG/ok/$long"
	try "$MSG/ok/${long}yz"
	assert_status 75
	assert_output_has "config: $MSG/ok/${long}yz: File name too long"
}

@test "files: the state directory of refusal notices under another user's directory is refused; every path key takes only an absolute path" {
	need_root "chown to another user"
	mkdir -p "$MSG/other/state" "$MSG/tpl"
	chmod 700 "$MSG/other/state"
	printf 'Subject: x\n\nbody\n' > "$MSG/tpl/t"
	chown nobody "$MSG/other"
	conf_write "$MSG/c" refusal_notice yes refusal_notice_from q@example.org \
		refusal_notice_template "$MSG/tpl/t" refusal_notice_dir "$MSG/other/state" \
		syslog no notice_senders "$NOTICE_SENDER"
	run "$LMTP_IQ" -n -C "$MSG/c" -s unix:/nonexistent
	assert_output_has "refusal notices: on, but none can be sent: refusal_notice_dir $MSG/other/state: the directory $MSG/other on its path is owned by uid $(id -u nobody)"
	for k in refusal_notice_template refusal_notice_dir tls_ca_file tls_ca_path tls_cert_file tls_key_file auth_password_file; do
		printf '%s = relative/path\n' "$k" > "$MSG/c"
		run "$LMTP_IQ" -n -C "$MSG/c" -s unix:/nonexistent
		assert_status 78
		assert_output_has "$k: expected an absolute path"
	done
}

@test "config: a directory as the config file is refused" {
	run "$LMTP_IQ" -C "$MSG" alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'not a regular file'
}

@test "config: a NUL in a line is reported as such" {
	config_refused 'syslog = no\nserver = /x\0y\n' '2: NUL byte in line'
}

@test "config: a key set twice is an error naming the second line" {
	config_refused 'server = /a\nsyslog = no\nserver = /b\n' '3: server: set twice'
}

@test "config: a line of exactly 1024 bytes is read, one of 1025 is refused" {
	{ printf 'lhlo_name = '; head -c $((1024 - 12)) /dev/zero | tr '\0' a; printf '\n'; } > "$MSG/c"
	run "$LMTP_IQ" -C "$MSG/c" -s unix:/nonexistent alice < "$MSG/notice"
	assert_output_lacks 'longer than'
	{ printf 'lhlo_name = '; head -c $((1025 - 12)) /dev/zero | tr '\0' a; printf '\n'; } > "$MSG/c"
	run "$LMTP_IQ" -C "$MSG/c" -s unix:/nonexistent alice < "$MSG/notice"
	assert_output_has 'c:1: line longer than 1024 bytes'
}

@test "auth: a FIFO as the password file is refused at once, not a hang" {
	mkfifo "$MSG/secret"
	{ lhlo_offering PIPELINING IGNOREQUOTA 'AUTH PLAIN'; fake_bye; } | fake_start
	fake_conf auth_user cyrus
	fake_conf auth_password_file "$MSG/secret"
	run timeout 5 "$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" alice < "$MSG/notice"
	assert_status 75
	assert_output_has "password file $MSG/secret is not a regular file (a FIFO or a device would hang the delivery)"
	fake_finish
}

@test "auth: a password line over the limit is refused, not cut and sent" {
	head -c 2000 /dev/zero | tr '\0' p > "$MSG/secret"; echo >> "$MSG/secret"
	chmod 600 "$MSG/secret"
	{ lhlo_offering PIPELINING IGNOREQUOTA 'AUTH PLAIN'; fake_bye; } | fake_start
	fake_conf auth_user cyrus
	fake_conf auth_password_file "$MSG/secret"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'the first line is longer than 1023 bytes'
	fake_finish
	! grep -q AUTH "$FAKE_DIR/record"
}

@test "syslog: usage, config and envelope failures each leave one LOG_MAIL line" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	run_logged -x alice
	assert_status 75
	run_logged -C "$MSG/nonexistent" alice
	assert_status 75
	conf_write "$MSG/c" syslog yes notice_senders "$NOTICE_SENDER"
	run_logged -C "$MSG/c" -f 'a b' alice
	assert_status 65
	[ "$(grep -o 'lmtp-iq\[[0-9]*\]: ' "$MSG/syslog" | wc -l)" -eq 3 ]
	grep -q 'lmtp-iq\[[0-9]*\]: unknown option: -x; try lmtp-iq -h; the message stays queued' "$MSG/syslog"
	grep -q "lmtp-iq\[[0-9]*\]: config: $MSG/nonexistent: No such file or directory" "$MSG/syslog"
	grep -q 'lmtp-iq\[[0-9]*\]: sender: unquoted space in address; nothing sent' "$MSG/syslog"
	# The mailer's command line and the config hold back every message:
	# LOG_MAIL (2) * 8 + LOG_ERR (3) = 19, where mail.err is read; a bad
	# envelope is the message's own: LOG_NOTICE (5), 21.
	grep -q '<19>[^<]*lmtp-iq\[[0-9]*\]: unknown option: -x' "$MSG/syslog"
	grep -q '<19>[^<]*lmtp-iq\[[0-9]*\]: config: ' "$MSG/syslog"
	grep -q '<21>[^<]*lmtp-iq\[[0-9]*\]: sender: unquoted space' "$MSG/syslog"
}

@test "syslog: -i names the message: the MTA's queue id first, then sender, Message-ID, size, delay and Cyrus's SESSIONID" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts
	  echo 'send 250 2.1.5 Ok SESSIONID=<cyrus-77-1700000000-1-5>'; fake_bye; } | fake_start
	fake_conf syslog yes
	printf 'Message-ID:\n <n1.x@example.org>\nSubject: n\n\nbody\n' > "$MSG/notice"
	logged_iq -i 4B6AbC0d001234 alice
	assert_status 0
	fake_finish
	# size: the bytes lmtp-iq was given.
	grep -q "lmtp-iq\[[0-9]*\]: 4B6AbC0d001234: to=<alice>, from=<$NOTICE_SENDER>, msgid=<n1.x@example.org>, size=$(wc -c < "$MSG/notice"), delay=[0-9]*\.[0-9][0-9], relay=unix:[^,]*, ignorequota=yes, dsn=2.1.5, sessionid=<cyrus-77-1700000000-1-5>, stat=Sent" "$MSG/syslog"
	# Not a queue id: the mailer's definition is wrong, the mail waits.
	run "$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" -i 'ab;c' -f "$NOTICE_SENDER" alice < "$MSG/notice"
	assert_status 75
	assert_output_has '-i takes a queue id (letters, digits, -, _ and ., up to 255), not: ab;c'
}

@test "syslog: a set-up failure that holds back every message is logged at err; a server's own refusal at notice" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	# IGNOREQUOTA required, not offered: the set-up, not the message.
	{ lhlo_offering PIPELINING ENHANCEDSTATUSCODES; fake_bye
	  echo accept; fake_envelope "$NOTICE_SENDER" alice
	  echo 'send 250 ok'; echo 'send 550 5.1.1 User unknown'; echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 ok'; fake_bye; } | fake_start
	fake_conf syslog yes
	logged_iq alice
	assert_status 75
	grep -q '<19>[^<]*lmtp-iq\[[0-9]*\]: to=<alice>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:[^<]*stat=Deferred' "$MSG/syslog"
	: > "$MSG/syslog"
	logged_iq alice
	assert_status 67
	grep -q '<21>[^<]*lmtp-iq\[[0-9]*\]: to=<alice>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:[^<]*dsn=5.1.1, sessionid=[^,]*, stat=Bounced' "$MSG/syslog"
	fake_finish
}

@test "syslog: a failure without a server reply gets its own DSN code (4.4.1 no answer from host)" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	conf_write "$MSG/c" syslog yes notice_senders "$NOTICE_SENDER"
	run_logged -C "$MSG/c" -s unix:/nonexistent/lmtp alice
	assert_status 75
	grep -q 'to=<alice>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:/nonexistent/lmtp, ignorequota=no, dsn=4.4.1, sessionid=[^,]*, stat=Deferred (cannot connect to unix:/nonexistent/lmtp' "$MSG/syslog"
}

@test "safe by default: without notice_senders, or with <> on it, nothing is sent in any mode (-L or not): 75, -n 78, LMTP mode greets 421 4.3.5" {
	silent_server
	fake_conf notice_senders
	for L in '' -L; do
		run "$LMTP_IQ" $L -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" -f someone@example.org alice < "$MSG/notice"
		assert_status 75
		[ "$output" = "lmtp-iq: config: $NEED_SENDERS; the message stays queued" ]
		run "$LMTP_IQ" $L -n -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock"
		assert_status 78
		[ "$output" = "lmtp-iq: config: $NEED_SENDERS" ]
		# LMTP mode: the reason in a 421 greeting, nothing else on stdout.
		run sh -c '"$@" 2>/dev/null' sh "$LMTP_IQ" -l $L -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" < /dev/null
		assert_status 75
		[ "$output" = "421 4.3.5 lmtp-iq: config: $NEED_SENDERS"$'\r' ]
	done
	fake_conf notice_senders "quota@example.org <>"
	run "$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" -f someone@example.org alice < "$MSG/notice"
	assert_status 75
	[ "$output" = 'lmtp-iq: config: notice_senders lists <>: any bounce, from anywhere, would pass the quota; name the notice senders only; the message stays queued' ]
	nothing_on_the_wire
}

# A server that stores one message from SENDER to alice, whose RCPT
# must be exactly RCPT.
stores_one() {	# stores_one SENDER RCPT
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo "expect MAIL FROM:<$1>"; echo "expect $2"; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'
	  echo 'data'; echo 'send 250 2.1.5 stored'
	  fake_bye; } | fake_start
}

@test "-L: with notice_senders, or with -q off, mail flows and only the listed sender gets IGNOREQUOTA" {
	local sender rcpt how
	# sender | the RCPT the server must see | notice_senders listed, or
	# no list and -q off
	while IFS='|' read -r sender rcpt how; do
		stores_one "$sender" "$rcpt"
		set --
		if [ "$how" = off ]; then
			set -- -q off
		else
			fake_conf notice_senders quota@example.org
		fi
		run lmtp_iq -L "$@" -f "$sender" alice < "$MSG/notice"
		assert_status 0
		fake_finish
		fake_teardown
	done <<-EOF
	someone@example.org|RCPT TO:<alice>|listed
	quota@example.org|RCPT TO:<alice> IGNOREQUOTA|listed
	quota@example.org|RCPT TO:<alice>|off
	EOF
}
