#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# LMTP mode (-l) on both sides: the test plays Sendmail on stdin and
# reads the replies on stdout; the scripted fake server plays Cyrus.
# Exact replies, exact bytes upstream, the client's mistakes and the
# server's faults.

load helpers/common
load helpers/fake

# LMTP-mode clients here send from these (the fake config lists them).
FAKE_NOTICE_SENDERS="quota-warn@example.org n@example.test n@x a@b"

setup() {
	IN=$(make_tmp lmode)
}

teardown() {
	fake_teardown
	rm -rf "$IN"
}

# client LINE...: the client's input, each LINE ending in CRLF.
client() {
	printf '%s\r\n' "$@" > "$IN/in"
}

# serve [ARGS...]: lmtp-iq -l on $IN/in against the fake server (or
# SERVE_AT); replies in $IN/out (CRs removed), stderr in $IN/err, exit in
# $status.
serve() {
	status=0
	LMTPIQ_CONF=$FAKE_DIR/conf LMTPIQ_SERVER=${SERVE_AT:-unix:$FAKE_DIR/sock} \
		lmtp_iq -l "$@" < "$IN/in" > "$IN/out.raw" 2> "$IN/err" || status=$?
	tr -d '\r' < "$IN/out.raw" > "$IN/out"
}

# serve_two: one session of two transactions (alice: "one", then bob:
# "two") served to the end, exit 0, the fake's script run whole.
serve_two() {
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'one' '.' \
		'MAIL FROM:<n@example.test>' 'RCPT TO:<bob>' 'DATA' 'two' '.' 'QUIT'
	serve
	assert_status 0
	fake_finish
}

# The replies, one a line, without the greeting and the LHLO reply.
replies() {
	grep -v '^220 \|^250-\|^250 SIZE$' "$IN/out"
}

# The upstream's side of a one-recipient transaction: MAIL and RCPT
# accepted, the body taken, REPLY after the dot.
takes_one() {	# takes_one REPLY
	fake_accepts; echo "send $1"
}

no_upstream() {	# a config whose server nobody listens on
	FAKE_DIR=$(make_tmp fake)
	conf_write "$FAKE_DIR/conf" lhlo_name client.test syslog no timeout 2 notice_senders "$FAKE_NOTICE_SENDERS"
}

@test "lmtp mode: the greeting and LHLO offer PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE and nothing else" {
	no_upstream
	client 'LHLO sendmail.test' 'QUIT'
	serve
	assert_status 0
	[ "$(cat "$IN/out")" = "220 client.test LMTP lmtp-iq ready
250-client.test
250-PIPELINING
250-ENHANCEDSTATUSCODES
250-8BITMIME
250 SIZE
221 2.0.0 bye" ]
	# Every line ends in CRLF.
	[ "$(grep -c $'\r$' "$IN/out.raw")" -eq 7 ]
}

@test "lmtp mode: a pipelined transaction is relayed; MAIL and each RCPT get the server's own reply at once, each accepted recipient its reply after the dot, in order" {
	{ fake_envelope n@example.test alice bob nosuch carol
	  echo 'send 250 2.1.0 ok'; echo 'send 250 2.1.5 ok'; echo 'send 250 2.1.5 ok'
	  echo 'send 550-Mailbox unknown.'; echo 'send 550 5.1.1 User unknown'
	  echo 'send 250 2.1.5 ok'
	  echo 'send 354 go ahead'; echo 'data'
	  echo 'send 250 2.1.5 Ok stored'
	  echo 'send 452 4.2.2 Over quota'
	  echo 'send 250 2.1.5 Ok stored for carol'
	  fake_bye; } | fake_start
	client 'LHLO sendmail.test' 'MAIL FROM:<n@example.test> SIZE=40 BODY=8BITMIME' \
		'RCPT TO:<alice>' 'RCPT TO:<bob>' 'RCPT TO:<nosuch>' 'RCPT TO:<carol>' 'DATA' \
		'Subject: x' '' 'body' '.' 'QUIT'
	serve
	assert_status 0
	fake_finish
	# nosuch is refused at its RCPT, with the server's words, and has
	# no reply after the dot.
	[ "$(replies)" = "250 2.1.0 ok
250 2.1.5 ok
250 2.1.5 ok
550 5.1.1 User unknown (Mailbox unknown.)
250 2.1.5 ok
354 go ahead; end with <CRLF>.<CRLF>
250 2.1.5 Ok stored
452 4.2.2 Over quota
250 2.1.5 Ok stored for carol
221 2.0.0 bye" ]
	# Upstream: the envelope with IGNOREQUOTA (no SIZE or BODY: this
	# server offers neither), the body, the dot, and no QUIT pipelined
	# behind it (the session is kept) - QUIT comes at the end.
	assert_file_bytes "$FAKE_DIR/record" "${WIRE_LHLO}MAIL FROM:<n@example.test>"$'\r\n'"RCPT TO:<alice> IGNOREQUOTA"$'\r\n'"RCPT TO:<bob> IGNOREQUOTA"$'\r\n'"RCPT TO:<nosuch> IGNOREQUOTA"$'\r\n'"RCPT TO:<carol> IGNOREQUOTA"$'\r\n'"DATA"$'\r\n'"Subject: x"$'\r\n\r\n'"body"$'\r\n'"."$'\r\n'"QUIT"$'\r\n'
}

@test "lmtp mode: the body arrives stuffed exactly once; bare LF lines become CRLF, lone CRs go; a dot line cannot end it early" {
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 ok'
	  fake_bye; } | fake_start
	# "..x" is a stuffed ".x"; "..": a stuffed "."; ".\rQUIT" is an
	# unstuffed line the client should have doubled (its dot taken as the
	# stuffing, its CR a lone one, dropped); "a\n" a bare LF.
	printf 'LHLO s\r\nMAIL FROM:<n@example.test>\r\nRCPT TO:<alice>\r\nDATA\r\n..x\r\n..\r\n.\rQUIT\r\na\nb\r\n.\r\nQUIT\r\n' > "$IN/in"
	serve
	assert_status 0
	fake_finish
	body=$(sed -n '/^DATA\r$/,$p' "$FAKE_DIR/record" | tail -n +2 | od -An -c | tr -s ' ')
	[ "$body" = "$(printf '..x\r\n..\r\nQUIT\r\na\r\nb\r\n.\r\nQUIT\r\n' | od -An -c | tr -s ' ')" ]
	[ "$(grep -c $'^\\.\r$' "$FAKE_DIR/record")" -eq 1 ]
}

@test "lmtp mode: DATA ends only at CRLF . CRLF: a dot line ended by a bare LF is data, and what follows stays in the body" {
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 ok'
	  fake_bye; } | fake_start
	# RFC 5321 2.3.8: a line ends at CRLF only.  "a\n.\nMAIL ..." is one
	# line with a dot inside; after a CRLF, ".\nRCPT ..." is a line that
	# starts with a dot and has more on it: the dot is the stuffing (4.5.2).
	printf 'LHLO s\r\nMAIL FROM:<n@example.test>\r\nRCPT TO:<alice>\r\nDATA\r\na\n.\nMAIL FROM:<x@evil.test>\r\n.\nRCPT TO:<bob>\r\nb\r\n.\r\nQUIT\r\n' > "$IN/in"
	serve
	assert_status 0
	fake_finish
	# One reply after the dot, for alice; nothing of the body was taken
	# as a command.
	[ "$(replies)" = "250 2.1.0 ok
250 2.1.5 ok
354 go ahead; end with <CRLF>.<CRLF>
250 2.1.5 ok
221 2.0.0 bye" ]
	body=$(sed -n '/^DATA\r$/,$p' "$FAKE_DIR/record" | tail -n +2 | od -An -c | tr -s ' ')
	[ "$body" = "$(printf 'a\r\n..\r\nMAIL FROM:<x@evil.test>\r\n\r\nRCPT TO:<bob>\r\nb\r\n.\r\nQUIT\r\n' | od -An -c | tr -s ' ')" ]
}

@test "lmtp mode: two transactions share one upstream session, RSET between them" {
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 first'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  echo 'expect MAIL FROM:<n@example.test>'; echo 'expect RCPT TO:<bob> IGNOREQUOTA'
	  echo 'expect DATA'
	  takes_one '250 2.1.5 second'
	  fake_bye; } | fake_start
	serve_two
	[ "$(replies | grep -c '^354 ')" -eq 2 ]
	replies | grep -q '^250 2.1.5 first$'
	replies | grep -q '^250 2.1.5 second$'
	[ "$(grep -c '^LHLO' "$FAKE_DIR/record")" -eq 1 ]
}

@test "lmtp mode: an upstream that went away between transactions is opened again before the next one" {
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 first'
	  echo 'close'
	  echo 'accept'
	  fake_envelope n@example.test bob
	  takes_one '250 2.1.5 second'
	  fake_bye; } | fake_start
	serve_two
	replies | grep -q '^250 2.1.5 first$'
	replies | grep -q '^250 2.1.5 second$'
}

@test "lmtp mode: on a kept session RSET goes in one pipelined group with MAIL, RCPT and DATA (no round trip of its own)" {
	# The server reads the whole group before it answers the RSET: a
	# client that waited for the RSET reply would never send MAIL.
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 first'
	  echo 'expect RSET'; echo 'expect MAIL FROM:<n@example.test>'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 2.0.0 ok'
	  takes_one '250 2.1.5 second'
	  fake_bye; } | fake_start
	fake_conf timeout 3
	serve_two
	replies | grep -q '^250 2.1.5 second$'
}

@test "lmtp mode: a kept session that answers the pipelined RSET with 421 is opened again; the transaction goes through the new one" {
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 first'
	  echo 'expect RSET'; echo 'send 421 4.3.2 shutting down'; echo 'close'
	  echo 'accept'
	  fake_envelope n@example.test bob
	  takes_one '250 2.1.5 second'
	  fake_bye; } | fake_start
	serve_two
	replies | grep -q '^250 2.1.5 second$'
	[ "$(grep -c '^LHLO' "$FAKE_DIR/record")" -eq 2 ]
	# The second MAIL went to both connections, the body only to the new one.
	[ "$(grep -c '^MAIL' "$FAKE_DIR/record")" -eq 3 ]
	[ "$(grep -c $'^two\r$' "$FAKE_DIR/record")" -eq 1 ]
}

@test "lmtp mode: without PIPELINING upstream, RSET is answered before MAIL is sent" {
	{ lhlo_offering IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<n@example.test>'; echo 'send 250 2.1.0 ok'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'send 250 2.1.5 ok'
	  echo 'expect DATA'; echo 'send 354 go'; echo 'data'; echo 'send 250 2.1.5 first'
	  echo 'expect RSET'; echo 'quiet 300'; echo 'send 250 2.0.0 ok'
	  echo 'expect MAIL FROM:<n@example.test>'; echo 'send 250 2.1.0 ok'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'send 250 2.1.5 ok'
	  echo 'expect DATA'; echo 'send 354 go'; echo 'data'; echo 'send 250 2.1.5 second'
	  fake_bye; } | fake_start
	serve_two
	replies | grep -q '^250 2.1.5 second$'
}

@test "lmtp mode: each recipient's reply after the dot is passed on as it comes, not after the last one" {
	{ fake_envelope n@example.test alice bob
	  fake_accepts 2
	  echo 'send 250 2.1.5 alice done'; echo 'sleep 1500'; echo 'send 250 2.1.5 bob done'
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'RCPT TO:<bob>' 'DATA' 'x' '.' 'QUIT'
	# Each reply line with the time it reached the client (ms).
	lmtp_iq -l < "$IN/in" 2> "$IN/err" |
		while IFS= read -r line; do echo "$(($(date +%s%N) / 1000000)) ${line%$'\r'}"; done > "$IN/timed"
	fake_finish
	a=$(awk '/ 250 2.1.5 alice done$/ { print $1 }' "$IN/timed")
	b=$(awk '/ 250 2.1.5 bob done$/ { print $1 }' "$IN/timed")
	[ -n "$a" ] && [ -n "$b" ]
	echo "# alice's reply $((b - a)) ms before bob's" >&3
	[ $((b - a)) -ge 1000 ]
}

@test "lmtp mode: upstream down refuses MAIL with 451 4.4.1, what was pipelined behind it gets 503 (no error of the client's), no body is taken; the session goes on" {
	no_upstream
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'RSET' 'NOOP' 'QUIT'
	SERVE_AT="unix:$FAKE_DIR/nobody" serve
	assert_status 0
	[ "$(replies)" = "451 4.4.1 lmtp-iq: cannot connect to unix:$FAKE_DIR/nobody: No such file or directory
503 5.5.1 no transaction: MAIL was refused
503 5.5.1 no transaction: MAIL was refused
250 2.0.0 ok
250 2.0.0 ok
221 2.0.0 bye" ]
}

@test "lmtp mode: IGNOREQUOTA required but not offered refuses MAIL with 451 4.3.5" {
	{ lhlo_offering PIPELINING ENHANCEDSTATUSCODES
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'QUIT'
	serve
	assert_status 0
	fake_finish
	replies | grep -q '^451 4.3.5 lmtp-iq: .*does not advertise IGNOREQUOTA'
	! grep -q '^MAIL' "$FAKE_DIR/record"
}

@test "lmtp mode: the upstream connection drops during the body: the body is read to its end, every recipient 451, no dot upstream" {
	{ fake_envelope n@example.test alice bob
	  echo 'send 250 2.1.0 ok'; echo 'send 250 2.1.5 ok'; echo 'send 250 2.1.5 ok'
	  echo 'send 354 go'; echo 'expect 0*'; echo 'close'; } | fake_start
	# (The body follows DATA at once here: the upstream takes a line of
	# it first, so that lmtp-iq has answered 354 when it breaks.)
	{ printf 'LHLO s\r\nMAIL FROM:<n@example.test>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n'
	  for _ in $(seq 1 20000); do printf '%078d\r\n' 0; done
	  printf '.\r\nNOOP\r\nQUIT\r\n'; } > "$IN/in"
	serve
	assert_status 0
	fake_finish
	[ "$(replies | grep -c '^451 4.4.2 lmtp-iq: ')" -eq 2 ]
	replies | tail -2 | head -1 | grep -q '^250 2.0.0 ok$'	# NOOP: still in step
	! grep -q $'^\\.\r$' "$FAKE_DIR/record"
}

@test "lmtp mode: no reply after the dot is 451 and says a retry may deliver twice" {
	{ fake_envelope n@example.test alice
	  fake_accepts; echo 'stall'; } | fake_start
	fake_conf timeout 1
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'x' '.' 'QUIT'
	serve
	assert_status 0
	replies | grep -q '^451 4.4.2 lmtp-iq: timeout after 1 s waiting for the reply to the final dot for <alice>.*a retry may deliver it twice$'
}

# mail_then DIRECTIVE: the server takes alice's pipelined envelope,
# accepts MAIL, then does DIRECTIVE (a fault); the client sends MAIL,
# RCPT, DATA and QUIT.  Exit 0: nothing was promised.
mail_then() {
	{ fake_envelope n@example.test alice
	  echo 'send 250 2.1.0 ok'; echo "$1"; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'QUIT'
	serve
	assert_status 0
}

@test "lmtp mode: garbage from upstream leaves every recipient without a verdict: RCPT 451 4.5.0" {
	mail_then 'send hello there'
	replies | grep -q '^451 4.5.0 lmtp-iq: garbage from '
	replies | tail -1 | grep -q '^221 '
}

@test "lmtp mode: commands out of sequence and malformed ones get 5xx and reach nobody" {
	# Upstream sees the one good MAIL, then (QUIT inside the
	# transaction) the RSET that abandons it.
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<a@b>'; echo 'send 250 2.1.0 ok'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fake_bye; } | fake_start
	client 'MAIL FROM:<a@b>' 'HELO s' 'EHLO s' 'LHLO' 'LHLO s' 'RCPT TO:<alice>' 'DATA' \
		'MAIL FROM:a@b' 'MAIL FROM:<a b@c>' 'MAIL FROM:<a@b> AUTH=<>' 'MAIL FROM:<a@b> SIZE=x' \
		'MAIL FROM:<a@b>' 'MAIL FROM:<a@b>' 'RCPT TO:<>' 'RCPT TO:<x@y> NOTIFY=NEVER' \
		'RCPT TO:<x>y@z>' 'DATA' 'DATA now' 'VRFY alice' 'EXPN list' 'XFORWARD IDENT=x' 'QUIT'
	serve
	assert_status 0
	fake_finish
	[ "$(replies)" = "503 5.5.1 LHLO first
500 5.5.1 this is LMTP: say LHLO
500 5.5.1 this is LMTP: say LHLO
501 5.5.4 LHLO needs a host name
503 5.5.1 MAIL first
503 5.5.1 MAIL first
501 5.1.7 the address must be in angle brackets
501 5.1.7 unquoted space in address
555 5.5.4 unsupported parameter
555 5.5.4 bad SIZE
250 2.1.0 ok
503 5.5.1 nested MAIL command
501 5.1.3 empty recipient
555 5.5.4 unsupported parameter
501 5.1.3 text right after the closing angle bracket
503 5.5.1 no valid recipients
503 5.5.1 no valid recipients
252 2.5.2 cannot VRFY; send it and see
500 5.5.2 command not recognized
500 5.5.2 command not recognized
221 2.0.0 bye" ]
}

@test "lmtp mode: a line too long or with a NUL is refused and the session stays in step" {
	no_upstream
	{ printf 'LHLO s\r\nNOOP %05000d\r\n' 0; printf 'NO\0OP\r\n'; printf 'NOOP\r\nQUIT\r\n'; } > "$IN/in"
	serve
	assert_status 0
	[ "$(replies)" = "500 5.5.2 line too long
500 5.5.2 NUL byte in command
250 2.0.0 ok
221 2.0.0 bye" ]
}

@test "lmtp mode: control bytes in an address are refused; nothing but well-formed commands goes upstream" {
	# Each refusal waits behind MAIL's reply (the server's), so the fake
	# answers MAIL as it comes.
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<n@example.test>'; echo 'send 250 2.1.0 ok'
	  echo 'expect RCPT TO:<x@y> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 2.1.5 ok'; echo 'send 354 go ahead'; echo 'data'
	  echo 'send 250 2.1.5 ok'
	  fake_bye; } | fake_start
	# Behind a backslash in quotes too: a quoted-pair quotes no control.
	printf 'LHLO s\r\nMAIL FROM:<n@example.test>\r\nRCPT TO:<a\rRSET@b>\r\nRCPT TO:<a\x01b>\r\nRCPT TO:<"a\\\x1b[2Jb"@y>\r\nRCPT TO:<"a\\\rb"@y>\r\nRCPT TO:<x@y>\r\nDATA\r\nz\r\n.\r\nQUIT\r\n' > "$IN/in"
	serve
	assert_status 0
	fake_finish
	[ "$(replies | grep -c '^501 5.1.3 line break in address$')" = 2 ]
	[ "$(replies | grep -c '^501 5.1.3 control character in address$')" = 2 ]
	# Upstream saw exactly the expected commands (fake_finish) and no RSET.
	! grep -q 'RSET' "$FAKE_DIR/record"
}

@test "lmtp mode: a source route is refused at MAIL and at RCPT (501), as argv mode refuses it; nothing goes upstream" {
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<n@example.test>'; echo 'send 250 2.1.0 ok'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<@evil.example:quota-warn@example.org>' \
		'MAIL FROM:<@a.example,@b.example:quota-warn@example.org>' \
		'MAIL FROM:<n@example.test>' 'RCPT TO:<@evil.example:alice@example.org>' 'DATA' 'QUIT'
	serve
	assert_status 0
	fake_finish
	run ! grep -q 'evil' "$FAKE_DIR/record"
	[ "$(replies)" = "501 5.1.7 source route in address (not accepted)
501 5.1.7 source route in address (not accepted)
250 2.1.0 ok
501 5.1.3 source route in address (not accepted)
503 5.5.1 no valid recipients
221 2.0.0 bye" ]
}

@test "lmtp mode: more than 1000 recipients: the rest get 452 4.5.3" {
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<a@b>'; echo 'send 250 2.1.0 ok'
	  for i in $(seq 1 1000); do
		echo "expect RCPT TO:<u$i> IGNOREQUOTA"; echo 'send 250 2.1.5 ok'
	  done
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fake_bye; } | fake_start
	{ printf 'LHLO s\r\nMAIL FROM:<a@b>\r\n'
	  for i in $(seq 1 1002); do printf 'RCPT TO:<u%s>\r\n' "$i"; done
	  printf 'QUIT\r\n'; } > "$IN/in"
	serve
	assert_status 0
	fake_finish
	[ "$(grep -c '^250 2.1.5 ' "$IN/out")" -eq 1000 ]
	[ "$(grep -c '^452 4.5.3 too many recipients$' "$IN/out")" -eq 2 ]
}

@test "lmtp mode: after 20 bad commands the session ends with 421, exit 75" {
	no_upstream
	client 'LHLO s' $(for _ in $(seq 1 25); do echo BOGUS; done) 'QUIT'
	serve
	assert_status 75
	grep -q '^421 4.7.0 too many errors; closing$' "$IN/out"
	[ "$(grep -c '^500 ' "$IN/out")" -eq 21 ]
	grep -q 'more than 20 bad commands' "$IN/err"
}

@test "lmtp mode: a client that goes silent gets 421 after idle_timeout, exit 75" {
	no_upstream
	fake_conf idle_timeout 1
	mkfifo "$IN/fifo"
	{ printf 'LHLO s\r\n'; sleep 5; } > "$IN/fifo" &
	writer=$!
	status=0
	LMTPIQ_CONF=$FAKE_DIR/conf LMTPIQ_SERVER= lmtp_iq -l < "$IN/fifo" > "$IN/out" 2> "$IN/err" ||
		status=$?
	stop_pid "$writer"
	assert_status 75
	grep -q $'^421 4.4.2 timeout waiting for a command; closing\r$' "$IN/out"
	grep -q 'timeout after 1 s waiting for a command from the client' "$IN/err"
}

@test "lmtp mode: end of input between transactions is a clean end; in the middle of one it is 75" {
	{ fake_envelope n@example.test alice
	  takes_one '250 2.1.5 ok'
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'x' '.'
	serve
	assert_status 0
	fake_finish
	{ fake_envelope n@example.test alice
	  echo 'send 250 2.1.0 ok'; echo 'send 250 2.1.5 ok'; } | fake_start
	sed -i '/^expect DATA$/d' "$FAKE_DIR/script"
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>'
	serve
	assert_status 75
	grep -q 'in the middle of a transaction' "$IN/err"
}

@test "lmtp mode: end of input in the body: no dot upstream, nothing stored, exit 75" {
	{ fake_envelope n@example.test alice
	  echo 'send 250 2.1.0 ok'; echo 'send 250 2.1.5 ok'
	  echo 'send 354 go'; } | fake_start
	printf 'LHLO s\r\nMAIL FROM:<n@example.test>\r\nRCPT TO:<alice>\r\nDATA\r\npartial\r\n' > "$IN/in"
	serve
	assert_status 75
	fake_finish
	run ! grep -q $'^\\.\r$' "$FAKE_DIR/record"
	grep -q 'reading the message' "$IN/err"
}

@test "lmtp mode: with stderr on the same pipe as stdout (as Sendmail runs it), -v stays off the LMTP stream" {
	no_upstream
	client 'LHLO s' 'NOOP' 'QUIT'
	status=0
	LMTPIQ_CONF=$FAKE_DIR/conf LMTPIQ_SERVER= lmtp_iq -l -v < "$IN/in" > "$IN/out" 2>&1 ||
		status=$?
	assert_status 0
	[ "$(tr -d '\r' < "$IN/out" | grep -cv '^2[25]0[- ]\|^221 ')" -eq 0 ]
	# With stderr apart, the trace shows both sides.
	serve -v
	grep -q '^<-- NOOP$' "$IN/err"
	grep -q '^--> 250 2.0.0 ok$' "$IN/err"
}

@test "lmtp mode: -l takes neither -f nor recipients, and not -n" {
	# The command line is the test: the binary itself, these words alone.
	run "$LMTP_IQ" -l alice
	assert_status 75
	assert_output_has '-l takes the envelope over LMTP'
	run "$LMTP_IQ" -l -f x@y
	assert_status 75
	run "$LMTP_IQ" -l -n
	assert_status 64
	assert_output_has '-n and -l do not go together'
}

# logged_serve ARGS...: serve with syslog captured in $IN/syslog (the
# session's replies in $output).
logged_serve() {
	MSG=$IN
	cp "$IN/in" "$IN/notice"
	fake_conf syslog yes
	logged_iq -l "$@"
}

@test "lmtp mode: lmtp-iq's line names the message: the queue id from the MTA's own topmost Received: line (Sendmail's id \$i), then sender, Message-ID, size, delay, Cyrus's SESSIONID; a server offering TRACE gets none (the id comes after MAIL went upstream)" {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES TRACE
	  echo 'expect MAIL FROM:<n@example.test>'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'; fake_accepts
	  echo 'send 250 2.1.5 Ok SESSIONID=<cyrus-1234-1700000000-1-42>'; } | fake_start
	client 'LHLO sendmail.test' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' \
		'Received: from localhost (localhost [127.0.0.1])' \
		'	by mail.example.test (8.17.1.9/8.17.1.9/Debian-2) with ESMTP id 5B6AbC0d001234' \
		'	for <alice@example.test>; Sun, 6 Dec 2026 10:00:00 +0000' \
		'Received: from elsewhere by other.test with SMTP id OTHER1; Sun, 6 Dec 2026 09:00:00 +0000' \
		'Message-ID: <m1@example.test>' 'Subject: x' '' 'body' '.' 'QUIT'
	logged_serve
	assert_status 0
	assert_output_has '250 2.1.5 Ok SESSIONID=<cyrus-1234-1700000000-1-42>'
	grep -q 'lmtp-iq\[[0-9]*\]: 5B6AbC0d001234: to=<alice>, from=<n@example.test>, msgid=<m1@example.test>, size=[0-9]*, delay=[0-9]*\.[0-9][0-9], relay=unix:[^,]*, ignorequota=yes, dsn=2.1.5, sessionid=<cyrus-1234-1700000000-1-42>, stat=Sent' "$IN/syslog"
	run ! grep -q OTHER1 "$IN/syslog"
	fake_finish
}


# envelope_refused MAIL RCPT DATA: the server's replies to alice's
# pipelined envelope, then RSET; the client sends MAIL, RCPT, DATA and
# QUIT (no body: DATA is refused to it).  Exit 0, the script run whole.
envelope_refused() {
	{ fake_envelope n@example.test alice
	  echo "send $1"; echo "send $2"; echo "send $3"
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'QUIT'
	serve
	assert_status 0
	fake_finish
}

@test "lmtp mode: the server refuses MAIL: the client gets its reply, the RCPT and DATA pipelined behind it 503, no body; RSET clears the server's side" {
	envelope_refused '550 5.7.1 not you' '503 5.5.1 no MAIL' '503 5.5.1 no MAIL'
	[ "$(replies)" = "550 5.7.1 not you
503 5.5.1 no transaction: MAIL was refused
503 5.5.1 no transaction: MAIL was refused
221 2.0.0 bye" ]
}

@test "lmtp mode: every recipient refused at RCPT: DATA 503, no body sent upstream; the client's RSET and the next transaction go on" {
	{ fake_envelope n@example.test nosuch
	  echo 'send 250 2.1.0 ok'; echo 'send 550 5.1.1 User unknown'
	  echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  echo 'expect RSET'; echo 'expect MAIL FROM:<n@example.test>'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 2.0.0 ok'; fake_accepts; echo 'send 250 2.1.5 stored'
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<nosuch>' 'DATA' 'RSET' \
		'MAIL FROM:<n@example.test>' 'RCPT TO:<alice>' 'DATA' 'x' '.' 'QUIT'
	serve
	assert_status 0
	fake_finish
	[ "$(replies)" = "250 2.1.0 ok
550 5.1.1 User unknown
503 5.5.1 no valid recipients
250 2.0.0 ok
250 2.1.0 ok
250 2.1.5 ok
354 go ahead; end with <CRLF>.<CRLF>
250 2.1.5 stored
221 2.0.0 bye" ]
	# The only body upstream is the second transaction's.
	[ "$(grep -c $'^x\r$' "$FAKE_DIR/record")" -eq 1 ]
}

@test "lmtp mode: lmtp-iq's own replies wait behind the server's: every reply in the order of the commands" {
	# A refusal of lmtp-iq's is held until MAIL's reply is out: the
	# fake answers each command as it comes.
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<n@example.test>'; echo 'send 250 2.1.0 sender fine'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'send 250 2.1.5 alice fine'
	  echo 'expect DATA'; echo 'send 354 go'; echo 'data'
	  echo 'send 250 2.1.5 stored'
	  fake_bye; } | fake_start
	client 'LHLO s' 'MAIL FROM:<n@example.test>' 'RCPT TO:<a b@c>' 'RCPT TO:<alice>' 'NOOP' \
		'DATA' 'x' '.' 'QUIT'
	serve
	assert_status 0
	fake_finish
	[ "$(replies)" = "250 2.1.0 sender fine
501 5.1.3 unquoted space in address
250 2.1.5 alice fine
250 2.0.0 ok
354 go ahead; end with <CRLF>.<CRLF>
250 2.1.5 stored
221 2.0.0 bye" ]
}

@test "lmtp mode: the server goes away after MAIL's reply: the recipient gets 451, DATA 503, no body is taken" {
	mail_then close
	fake_finish
	[ "$(replies | sed -n 1p)" = "250 2.1.0 ok" ]
	replies | sed -n 2p | grep -q '^451 4\.4\.[0-9] lmtp-iq: .*fake'
	[ "$(replies | sed -n '3,$p')" = "503 5.5.1 no valid recipients
221 2.0.0 bye" ]
}

@test "lmtp mode: without refusal notices, a quota refusal at RCPT is the client's at once" {
	envelope_refused '250 2.1.0 ok' '452 4.2.2 Over quota' '503 5.5.1 No recipients'
	[ "$(replies)" = "250 2.1.0 ok
452 4.2.2 Over quota
503 5.5.1 no valid recipients
221 2.0.0 bye" ]
}
