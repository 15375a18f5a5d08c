#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The server list: servers tried in order, the next one on a failure to
# connect, a timeout, a greeting other than 220, LHLO refused, AUTH
# failing or IGNOREQUOTA required and not offered - never once a RCPT was
# accepted.  Several scripted fake servers, one per UNIX socket.

load helpers/common
load helpers/fake

setup() {
	MSG=$(make_tmp msg)
	printf 'Subject: notice\n\nOver quota.\n' > "$MSG/notice"
	conf_write "$MSG/conf" lhlo_name client.test notice_senders "$NOTICE_SENDER"
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	rm -rf "$MSG"
}

# server NAME: a fake server on unix:$MSG/NAME.sock running the script
# on stdin, recording into $MSG/NAME.rec.
server() {
	cat > "$MSG/$1.script"
	fake_run "unix:$MSG/$1.sock" "$MSG/$1.script" "$MSG/$1.rec" "$MSG/$1.ready" \
		"$MSG/$1.err"
	PIDS+=("$FAKE_RUN_PID")
}

# A server that delivers one message to alice.
delivers() {
	lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	fake_accepts
	echo 'send 250 2.1.5 stored'; fake_bye
}

# The mailer with the suite's config (its server list in it), from the
# notice sender.
iq() {
	LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER= run lmtp_iq "$@"
}

@test "servers: the first is down, the second takes the delivery; the log names both" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	delivers | server b
	conf_add "$MSG/conf" syslog yes server "unix:$MSG/nobody.sock unix:$MSG/b.sock"
	LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER= logged_iq alice
	assert_status 0
	grep -q "server list: unix:$MSG/b.sock took the session after unix:$MSG/nobody.sock (cannot connect to unix:$MSG/nobody.sock: No such file or directory)" "$MSG/syslog"
	grep -q "to=<alice>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=unix:$MSG/b.sock, .*stat=Sent" "$MSG/syslog"
}

@test "servers: each reason to move on - greeting 421, LHLO refused, no IGNOREQUOTA under require, AUTH failing, a timeout - ends at the server that takes it" {
	printf 'pw' > "$MSG/pw"; chmod 600 "$MSG/pw"
	{ echo 'send 421 4.3.2 busy'; } | server greet
	{ echo 'send 220 hi'; echo 'expect LHLO *'; echo 'send 500 5.5.1 no'; } | server lhlo
	{ lhlo_offering PIPELINING 'AUTH PLAIN'; echo 'expect AUTH PLAIN *'; echo 'send 235 2.7.0 ok'
	  fake_bye; } | server noiq
	{ lhlo_offering PIPELINING IGNOREQUOTA 'AUTH PLAIN'; echo 'expect AUTH PLAIN *'
	  echo 'send 535 5.7.8 bad'; fake_bye; } | server auth
	{ echo 'stall'; } | server slow
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES 'AUTH PLAIN'
	  echo 'expect AUTH PLAIN *'; echo 'send 235 2.7.0 ok'
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  fake_accepts
	  echo 'send 250 2.1.5 stored'; fake_bye; } | server good
	conf_add "$MSG/conf" syslog no timeout 1 auth_user u auth_password_file "$MSG/pw"
	printf 'server =' >> "$MSG/conf"
	for n in greet lhlo noiq auth slow good; do printf ' unix:%s/%s.sock' "$MSG" "$n" >> "$MSG/conf"; done
	printf '\n' >> "$MSG/conf"
	iq -v alice < "$MSG/notice"
	assert_status 0
	for n in greet lhlo noiq auth slow; do
		echo "$output" | grep -q "^--- left unix:$MSG/$n.sock: "
	done
	echo "$output" | grep -q "left unix:$MSG/greet.sock: unix:$MSG/greet.sock greeted with: 421 4.3.2 busy"
	echo "$output" | grep -q "left unix:$MSG/noiq.sock: .*does not advertise IGNOREQUOTA"
	echo "$output" | grep -q "left unix:$MSG/slow.sock: timeout after 1 s waiting for the greeting"
	grep -q '^MAIL' "$MSG/good.rec"
}

@test "servers: when every server fails, the one line names each and why, and the mail stays queued" {
	{ echo 'send 554 5.3.2 not today'; } | server a
	conf_add "$MSG/conf" syslog no server "unix:$MSG/a.sock unix:$MSG/none.sock"
	iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has "no server took the session, 2 tried: unix:$MSG/a.sock (unix:$MSG/a.sock greeted with: 554 5.3.2 not today); unix:$MSG/none.sock (cannot connect to unix:$MSG/none.sock: No such file or directory)"
}

@test "servers: once a RCPT was accepted the verdicts of that server stand: no failover, nothing sent to the next" {
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  fake_accepts
	  echo 'close'; } | server first
	delivers | server second
	conf_add "$MSG/conf" syslog no server "unix:$MSG/first.sock unix:$MSG/second.sock"
	iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'a retry may deliver it twice'
	[ ! -s "$MSG/second.rec" ]
}

@test "servers: -s may be repeated; the servers are tried in that order" {
	delivers | server two
	conf_add "$MSG/conf" syslog no
	iq -s "unix:$MSG/one.sock" -s "unix:$MSG/two.sock" alice < "$MSG/notice"
	assert_status 0
	grep -q '^MAIL' "$MSG/two.rec"
	LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER='unix:/a unix:/b' run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'a space or tab inside one server: unix:/a unix:/b'
}

@test "servers: -n checks every server and reports each; exit 0 only when all can take a delivery" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | server ok
	conf_add "$MSG/conf" server "unix:$MSG/ok.sock unix:$MSG/down.sock"
	conf_add "$MSG/conf" syslog no
	iq -n
	assert_status 75
	assert_output_has "server: unix:$MSG/ok.sock"
	assert_output_has 'result: a delivery can go ahead'
	assert_output_has "server: unix:$MSG/down.sock"
	assert_output_has "result: cannot deliver: cannot connect to unix:$MSG/down.sock"
	assert_output_has 'servers: 1 of 2 can take a delivery, tried in the order above'
}

@test "servers: LMTP mode opens each upstream session from the same list" {
	delivers | server b
	conf_add "$MSG/conf" syslog no server "unix:$MSG/nobody.sock unix:$MSG/b.sock"
	printf 'LHLO s\r\nMAIL FROM:<quota-warn@example.org>\r\nRCPT TO:<alice>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' > "$MSG/in"
	iq -l < "$MSG/in"
	assert_status 0
	assert_output_has '250 2.1.5 stored'
}

@test "servers: STARTTLS refused under tls = require moves on to the next server" {
	# A TCP fake that offers STARTTLS and refuses it, then a UNIX socket
	# (no TLS there: it never leaves the host) that delivers.
	printf '%s\n' 'send 220 fake.test LMTP ready' 'expect LHLO client.test' \
		'send 250-fake.test' 'send 250-STARTTLS' 'send 250 IGNOREQUOTA' \
		'expect STARTTLS' 'send 454 4.7.0 TLS not available' \
		'expect QUIT' 'send 221 bye' > "$MSG/tls.script"
	fake_run tcp:127.0.0.1:0 "$MSG/tls.script" "$MSG/tls.rec" "$MSG/tls.port" \
		"$MSG/tls.err"
	PIDS+=("$FAKE_RUN_PID")
	delivers | server good
	conf_add "$MSG/conf" syslog no tls require \
		server "127.0.0.1:$(cat "$MSG/tls.port") unix:$MSG/good.sock"
	iq -v alice < "$MSG/notice"
	assert_status 0
	echo "$output" | grep -q "^--- left 127.0.0.1:[0-9]*: .*refused STARTTLS and tls is require: 454 4.7.0 TLS not available$"
	grep -q '^MAIL' "$MSG/good.rec"
	! grep -q '^MAIL' "$MSG/tls.rec"
}
