#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The mailer against the scripted fake server: exact bytes on the wire,
# every row of the exit table, the four IGNOREQUOTA policies, pipelining,
# and a fault at every stage.

load helpers/common
load helpers/fake

setup() {
	MSG=$(make_tmp msg)
	printf 'Subject: notice\nTo: alice\n\nYou are over quota.\n' > "$MSG/notice"
}

teardown() {
	fake_teardown
	rm -rf "$MSG"
}

# rcpt_verdict "REPLY" EXIT: the RCPT of the only recipient gets REPLY.
rcpt_verdict() {
	{ fake_envelope "$NOTICE_SENDER" alice
	  echo 'send 250 2.1.0 ok'
	  echo "send $1"
	  echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status "$2"
	fake_finish
}

# dataend_verdict "REPLY" EXIT: accepted, then REPLY after the final dot.
dataend_verdict() {
	{ fake_envelope "$NOTICE_SENDER" alice
	  fake_accepts
	  echo "send $1"
	  fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status "$2"
	fake_finish
}

# mail_verdict "REPLY" EXIT: MAIL itself is refused.
mail_verdict() {
	{ fake_envelope "$NOTICE_SENDER" alice
	  echo "send $1"; echo 'send 503 5.5.1 Need MAIL'
	  echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status "$2"
	fake_finish
}

@test "a delivered notice puts exactly these bytes on the wire and exits 0" {
	{ lhlo_offering PIPELINING 8BITMIME IGNOREQUOTA ENHANCEDSTATUSCODES SIZE
	  echo 'expect MAIL FROM:<quota-warn@example.org> BODY=8BITMIME'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect DATA'
	  fake_accepts
	  echo 'send 250 2.1.5 Success'
	  fake_bye; } | fake_start
	run lmtp_iq alice < <(cat "$MSG/notice")
	assert_status 0
	[ -z "$output" ]
	fake_finish
	assert_file_bytes "$FAKE_DIR/record" "${WIRE_LHLO}MAIL FROM:<quota-warn@example.org> BODY=8BITMIME"$'\r\n'"RCPT TO:<alice> IGNOREQUOTA"$'\r\n'"DATA"$'\r\n'"Subject: notice"$'\r\n'"To: alice"$'\r\n\r\n'"You are over quota."$'\r\n'"."$'\r\n'"QUIT"$'\r\n'
}

@test "a sender from -f goes into MAIL FROM, and <> means the null sender" {
	# Neither is a notice sender: ordinary mail, no IGNOREQUOTA.
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<postmaster@example.test>'; echo 'expect RCPT TO:<alice>'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 2.1.5 ok'
	  echo 'accept'
	  lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<>'; echo 'expect RCPT TO:<alice>'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 2.1.5 ok'; } | fake_start
	run lmtp_iq -f postmaster@example.test -- alice < "$MSG/notice"
	assert_status 0
	run lmtp_iq -f '<>' alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "message: LF becomes CRLF, CRLF stays, dots are doubled, 8-bit passes, a lone CR is dropped, a line over 998 is broken (folded in the header), a final line end is added" {
	long=$(head -c 6000 /dev/zero | tr '\0' 'x')
	hdr=$(head -c 1500 /dev/zero | tr '\0' 'h')
	printf 'A: %s\r\n\n.\n..two\n.x\r\n\xe9t\xe9 \xff\n%s\nbare\rcr\n\r.\r\nend' "$hdr" "$long" > "$MSG/tricky"
	{ fake_envelope "$NOTICE_SENDER" alice
	  fake_accepts; echo 'send 250 2.1.5 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/tricky"
	assert_status 0
	fake_finish
	# The header line: 998 octets, then CRLF SP and the rest (3 + 1500 =
	# 1503 = 998 + 505).  The body line: 6 x 998 + 12, plain CRLF.
	{ printf 'A: %s\r\n %s\r\n\r\n' "${hdr:0:995}" "${hdr:995}"
	  printf '..\r\n...two\r\n..x\r\n\xe9t\xe9 \xff\r\n'
	  for i in 0 1 2 3 4 5 6; do printf '%s\r\n' "${long:$((i * 998)):998}"; done
	  printf 'barecr\r\n..\r\nend\r\n.\r\n'; } > "$MSG/body"
	grep -q . "$FAKE_DIR/record"
	# The body sits between "DATA\r\n" and "QUIT\r\n".
	sed -n '/^DATA\r$/,$p' "$FAKE_DIR/record" | tail -n +2 | head -n -1 > "$MSG/got"
	cmp "$MSG/body" "$MSG/got"
}

@test "message: an empty message is sent as a lone dot" {
	{ fake_envelope "$NOTICE_SENDER" alice
	  fake_accepts; echo 'send 250 2.1.5 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < /dev/null
	assert_status 0
	fake_finish
	assert_file_bytes "$FAKE_DIR/record" "${WIRE_LHLO}MAIL FROM:<quota-warn@example.org>"$'\r\n'"RCPT TO:<alice> IGNOREQUOTA"$'\r\n'"DATA"$'\r\n'"."$'\r\n'"QUIT"$'\r\n'
}

@test "message: a trailing CR is dropped and the line ended: CRLF, not CR CR LF" {
	printf 'x\r' > "$MSG/cr"
	{ fake_envelope "$NOTICE_SENDER" alice
	  fake_accepts; echo 'send 250 2.1.5 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/cr"
	assert_status 0
	fake_finish
	grep -q $'^DATA\r$' "$FAKE_DIR/record"
	[ "$(sed -n '/^DATA\r$/{n;p}' "$FAKE_DIR/record" | od -c | head -1)" = "$(printf 'x\r\n' | od -c | head -1)" ]
}

@test "capabilities are read case-insensitively" {
	{ echo 'send 220 fake'; echo 'expect LHLO client.test'
	  echo 'send 250-fake'; echo 'send 250-pipelining'; echo 'send 250-8bitmime'
	  echo 'send 250 IgnoreQuota'
	  echo 'expect MAIL FROM:<quota-warn@example.org> BODY=8BITMIME'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "-s takes a bare absolute path as a UNIX socket" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	LMTPIQ_SERVER= run lmtp_iq -s "$FAKE_DIR/sock" alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "-s host without a port uses port 24 over TCP" {
	need_root "binding port 24"
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start tcp:127.0.0.1:24
	[ "$(cat "$FAKE_DIR/ready")" = 24 ]
	LMTPIQ_SERVER= run lmtp_iq -s 127.0.0.1 alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "-n: IGNOREQUOTA missing under policy require is 75, and MAIL is tried and reset" {
	{ lhlo_offering PIPELINING
	  echo 'expect MAIL FROM:<>'; echo 'send 250 2.1.0 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	run lmtp_iq -n
	assert_status 75
	assert_output_has 'ignorequota: not advertised; policy require: nothing will be delivered'
	assert_output_has 'mail from: 250 2.1.0 ok'
	assert_output_has 'result: deliveries would stay queued'
	fake_finish
}

@test "SIZE= is sent when stdin is a regular file and the server offers SIZE" {
	{ lhlo_offering PIPELINING IGNOREQUOTA SIZE
	  echo 'expect MAIL FROM:<quota-warn@example.org> SIZE=47'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "no SIZE= when stdin is a pipe, whose size is unknown" {
	{ lhlo_offering PIPELINING IGNOREQUOTA SIZE
	  echo 'expect MAIL FROM:<quota-warn@example.org>'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < <(cat "$MSG/notice")
	assert_status 0
	fake_finish
}

@test "without PIPELINING each command waits for its reply" {
	{ lhlo_offering IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'quiet 300'; echo 'send 250 ok'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'quiet 300'; echo 'send 250 ok'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'quiet 300'; echo 'send 250 ok'
	  echo 'expect DATA'; echo 'quiet 300'; echo 'send 354 go'
	  echo 'data'; echo 'send 250 ok'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice bob < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "with PIPELINING the envelope and DATA go in one batch before any reply" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'
	  echo 'expect DATA'
	  fake_accepts 2; echo 'send 250 ok'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice bob < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "policy require: no IGNOREQUOTA offered means nothing is delivered and 75" {
	{ lhlo_offering PIPELINING ENHANCEDSTATUSCODES; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has "lmtp-iq: alice: unix:$FAKE_DIR/sock does not advertise IGNOREQUOTA"
	fake_finish
	assert_file_bytes "$FAKE_DIR/record" "${WIRE_LHLO}QUIT"$'\r\n'
}

# policy_case POLICY "CAPS" "RCPT LINE": a delivery whose RCPT must be
# exactly the given line when the server offers CAPS (besides PIPELINING).
policy_case() {
	{ lhlo_offering PIPELINING $2
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo "expect $3"; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq -q "$1" alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "policy auto: IGNOREQUOTA is added when offered" {
	policy_case auto IGNOREQUOTA 'RCPT TO:<alice> IGNOREQUOTA'
}

@test "policy auto: delivers without IGNOREQUOTA when it is not offered" {
	policy_case auto '' 'RCPT TO:<alice>'
}

@test "policy force: IGNOREQUOTA is added even when not offered" {
	policy_case force '' 'RCPT TO:<alice> IGNOREQUOTA'
}

@test "policy off: no IGNOREQUOTA even when offered" {
	policy_case off IGNOREQUOTA 'RCPT TO:<alice>'
}

@test "the config file sets the policy and the command line overrides it" {
	{ lhlo_offering PIPELINING
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice>'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye
	  echo accept; lhlo_offering PIPELINING; fake_bye; } | fake_start
	# Written as text: a comment after a value is part of what is read.
	echo 'ignorequota = auto   # notices where possible' >> "$FAKE_DIR/conf"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	run lmtp_iq -q require alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

# sender_case "NOTICE_SENDERS" SENDER "CAPS" "RCPT LINE": notice_senders
# set, the given sender (-f), the RCPT line that must go out.
sender_case() {
	local from=$2
	[ "$from" = '<>' ] && from=
	{ lhlo_offering PIPELINING $3
	  echo "expect MAIL FROM:<$from>"; echo "expect $4"; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	fake_conf notice_senders "$1"
	run lmtp_iq -f "$2" alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "notice_senders: a listed sender's mail carries IGNOREQUOTA" {
	sender_case 'other@example.org quota@example.org' quota@example.org IGNOREQUOTA 'RCPT TO:<alice> IGNOREQUOTA'
}

@test "notice_senders: the listed sender matches without regard to case" {
	sender_case 'Quota@Example.ORG' quota@example.org IGNOREQUOTA 'RCPT TO:<alice> IGNOREQUOTA'
}

@test "notice_senders: another sender's mail goes as ordinary mail, without IGNOREQUOTA" {
	sender_case 'quota@example.org' someone@example.org IGNOREQUOTA 'RCPT TO:<alice>'
}

@test "notice_senders: the null sender is ordinary mail (<> cannot be listed)" {
	sender_case 'quota@example.org' '<>' IGNOREQUOTA 'RCPT TO:<alice>'
}

@test "notice_senders: ordinary mail is delivered under policy require even where IGNOREQUOTA is not offered" {
	sender_case 'quota@example.org' someone@example.org '' 'RCPT TO:<alice>'
}

@test "notice_senders: a prefix or a longer address of a listed sender is not listed" {
	sender_case 'quota@example.org' quota@example.org.evil.test IGNOREQUOTA 'RCPT TO:<alice>'
}

# The exit table, row by row.
@test "exit: 2xx after DATA is 0" { dataend_verdict '250 2.1.5 ok' 0; }
@test "exit: 4xx at RCPT is 75" {
	rcpt_verdict '452 4.2.2 Over quota' 75
	assert_output_has 'lmtp-iq: alice: 452 4.2.2 Over quota'
}
@test "exit: 4xx after DATA is 75" { dataend_verdict '451 4.3.0 try later' 75; }
@test "exit: 5.1.1 is 67 EX_NOUSER" { rcpt_verdict '550 5.1.1 User unknown' 67; }
@test "exit: 5.1.6 is 67 EX_NOUSER" { rcpt_verdict '551 5.1.6 Mailbox moved' 67; }
@test "exit: 550 at RCPT without enhanced code is 67" { rcpt_verdict '550 No such user' 67; }
@test "exit: 551 at RCPT without enhanced code is 67" { rcpt_verdict '551 User not local' 67; }
@test "exit: 553 at RCPT without enhanced code is 67" { rcpt_verdict '553 Mailbox name not allowed' 67; }
@test "exit: 550 after DATA without enhanced code is 69" { dataend_verdict '550 Rejected' 69; }
@test "exit: 5.1.2 is 68 EX_NOHOST" { rcpt_verdict '550 5.1.2 Bad destination system' 68; }
@test "exit: 5.1.8 at MAIL is 68 EX_NOHOST" { mail_verdict '553 5.1.8 Bad sender domain' 68; }
@test "exit: other 5.1.x is 65 EX_DATAERR" { rcpt_verdict '553 5.1.3 Bad address syntax' 65; }
@test "exit: 5.5.x is 76 EX_PROTOCOL" { rcpt_verdict '501 5.5.4 Syntax error in parameters' 76; }
@test "exit: 5.7.x is 77 EX_NOPERM" { dataend_verdict '554 5.7.1 Refused by policy' 77; }
@test "exit: 5.2.x is 69 EX_UNAVAILABLE" { dataend_verdict '552 5.2.2 Quota exceeded' 69; }
@test "exit: 5.3.x is 69 EX_UNAVAILABLE" { dataend_verdict '552 5.3.4 Message too big' 69; }
@test "exit: 5.4.x is 69 EX_UNAVAILABLE" { dataend_verdict '554 5.4.6 Routing loop' 69; }
@test "exit: 5.6.x is 69 EX_UNAVAILABLE" { dataend_verdict '554 5.6.0 Bad content' 69; }
@test "exit: 5xx with no enhanced code after DATA is 69" { dataend_verdict '554 Transaction failed' 69; }
@test "exit: an enhanced code whose class disagrees with the reply is ignored" {
	dataend_verdict '554 2.1.1 odd' 69
}
@test "exit: 421 at RCPT is 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 421 4.3.2 Shutting down'; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}
@test "exit: a 5xx DATA reply is every accepted recipient's verdict" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'
	  echo 'send 554 5.6.0 No thanks'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 69
	assert_output_has 'lmtp-iq: alice: 554 5.6.0 No thanks'
	fake_finish
}

@test "a multi-line reply is parsed and reported on one stderr line" {
	{ fake_envelope "$NOTICE_SENDER" alice | sed 's/^send 250 Ok$/send 250-AUTH PLAIN LOGIN\nsend 250-X-ODD with params\nsend 250 Ok/'
	  echo 'send 250 ok'
	  echo 'send 550-Mailbox unknown.  Either there is no mailbox associated with this'
	  echo 'send 550-name or you do not have authorization to see it.'
	  echo 'send 550 5.1.1 User unknown'
	  echo 'send 503 5.5.1 No recipients'; echo 'expect RSET'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 67
	[ "$output" = "5.1.1 lmtp-iq: alice: 550 5.1.1 User unknown (Mailbox unknown.  Either there is no mailbox associated with this name or you do not have authorization to see it.)" ]
	fake_finish
}

@test "a failure's line starts with its status: without an enhanced code the reply's class, without a reply the failure's own" {
	# "5.0.0" for a 554 without one; 4.4.1 (no answer from the host)
	# for a server that is not there.
	{ fake_envelope "$NOTICE_SENDER" alice
	  echo 'send 250 ok'; echo 'send 554 no'; echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 69
	[ "$output" = "5.0.0 lmtp-iq: alice: 554 no" ]
	fake_finish
	LMTPIQ_SERVER=unix:$FAKE_DIR/nobody run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	[[ "$output" == "4.4.1 lmtp-iq: alice: cannot connect to unix:$FAKE_DIR/nobody: "* ]]
}

@test "several recipients: all delivered is 0" {
	{ fake_envelope "$NOTICE_SENDER" alice | sed 's/^expect DATA$/expect RCPT TO:<bob> IGNOREQUOTA\nexpect DATA/'
	  fake_accepts 2; echo 'send 250 2.1.5 ok'; echo 'send 250 2.1.5 ok'; fake_bye; } | fake_start
	run lmtp_iq alice bob < "$MSG/notice"
	assert_status 0
	fake_finish
}

# bob_unknown_carol_gets REPLY: alice, bob and carol; bob refused at
# RCPT, alice stored, carol's verdict after the dot REPLY.
bob_unknown_carol_gets() {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'
	  for u in alice bob carol; do echo "expect RCPT TO:<$u> IGNOREQUOTA"; done
	  echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 550 5.1.1 User unknown'; echo 'send 250 ok'
	  echo 'send 354 go'; echo 'data'
	  echo 'send 250 2.1.5 ok'; echo "send $1"; fake_bye; } | fake_start
}

@test "several recipients: one unknown and one temporary failure exits 75 with a line each" {
	bob_unknown_carol_gets '452 4.2.2 Over quota'
	run lmtp_iq alice bob carol < "$MSG/notice"
	assert_status 75
	# Each line starts with its status, and carol's leads: hers is
	# the exit status (Postfix's pipe(8) takes a leading status as the
	# verdict; a 5.x.x there would bounce what Sendmail retries).
	[ "${lines[0]}" = "4.2.2 lmtp-iq: carol: 452 4.2.2 Over quota" ]
	[ "${lines[1]}" = "5.1.1 lmtp-iq: bob: 550 5.1.1 User unknown" ]
	[ "${#lines[@]}" -eq 2 ]
	fake_finish
}

@test "several recipients: permanent failures only give the first failure's code" {
	bob_unknown_carol_gets '554 5.7.1 No'
	run lmtp_iq alice bob carol < "$MSG/notice"
	assert_status 67
	fake_finish
}

@test "no recipient accepted: no body is sent" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 550 5.1.1 no'; echo 'send 550 5.1.1 no'
	  echo 'send 503 5.5.1 No recipients'; echo 'expect RSET'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice bob < "$MSG/notice"
	assert_status 67
	fake_finish
	! grep -q 'over quota' "$FAKE_DIR/record"
}

@test "a refused MAIL is followed by RSET, without PIPELINING too" {
	{ lhlo_offering IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'send 452 4.3.1 Insufficient storage'
	  echo 'expect RSET'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
	assert_file_bytes "$FAKE_DIR/record" "${WIRE_LHLO}MAIL FROM:<quota-warn@example.org>"$'\r\n'"RSET"$'\r\n'"QUIT"$'\r\n'
}

@test "a refused MAIL whose pipelined DATA still got 354 (Cyrus) sends no body" {
	{ fake_envelope "$NOTICE_SENDER" alice
	  echo 'send 501 5.5.4 Unrecognized parameters'; echo 'send 250 2.1.5 ok'
	  echo 'send 354 go ahead'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 76
	fake_finish
	! grep -q 'over quota' "$FAKE_DIR/record"
}

# No verdict: whatever happens, the mail stays queued (75).
@test "fault: no server listening is 75" {
	LMTPIQ_CONF=$BASE_CONF LMTPIQ_SERVER=unix:/nonexistent/lmtp run lmtp_iq -f '<>' alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'lmtp-iq: alice: cannot connect to unix:/nonexistent/lmtp'
}

@test "fault: nothing listening on a TCP port is 75" {
	LMTPIQ_CONF=$BASE_CONF LMTPIQ_SERVER=127.0.0.1:1 run lmtp_iq -f '<>' alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'cannot connect to 127.0.0.1:1'
}

@test "fault: a greeting that never comes times out with 75" {
	echo 'stall' | fake_start
	run lmtp_iq -t 1 alice < "$MSG/notice"
	assert_status 75
	assert_output_has "timeout after 1 s waiting for the greeting from unix:$FAKE_DIR/sock"
	fake_finish
}

@test "fault: a 421 greeting is 75" {
	echo 'send 421 4.3.2 Too busy' | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has '421 4.3.2 Too busy'
	fake_finish
}

@test "fault: a garbage greeting is 75" {
	echo 'send HTTP/1.1 400 Bad Request' | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'garbage from unix:'
	assert_output_has 'waiting for the greeting'
	fake_finish
}

@test "fault: a partial greeting line and then silence is 75" {
	{ echo 'raw 220 fake'; echo 'stall'; } | fake_start
	run lmtp_iq -t 1 alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: a reply line over 4 KiB is 75" {
	{ echo "send 220 $(head -c 5000 /dev/zero | tr '\0' 'x')"; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'longer than 4096 bytes'
	fake_finish
}

@test "fault: the connection closes after LHLO is 75" {
	{ echo 'send 220 fake'; echo 'expect LHLO *'; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'connection closed by'
	fake_finish
}

@test "fault: LHLO refused is 75" {
	{ echo 'send 220 fake'; echo 'expect LHLO *'; echo 'send 500 5.5.2 Syntax error'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'rejected LHLO'
	fake_finish
}

@test "fault: garbage in a multi-line LHLO reply is 75" {
	{ echo 'send 220 fake'; echo 'expect LHLO *'; echo 'send 250-fake'; echo 'send 251 mixed codes'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: no reply to MAIL times out with 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'stall'; } | fake_start
	run lmtp_iq -t 1 alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: the connection closes after the RCPT reply is 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: garbage instead of the DATA reply is 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 3xx what'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: a 250 instead of 354 to DATA is 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 250 sure'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: silence after the final dot times out with 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'stall'; } | fake_start
	run lmtp_iq -t 1 alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: the connection closes after the final dot is 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: one reply after the dot for two recipients (Cyrus over maxmessagesize) ends in 75, not a hang" {
	{ fake_envelope "$NOTICE_SENDER" alice | sed 's/^expect DATA$/expect RCPT TO:<bob> IGNOREQUOTA\nexpect DATA/'
	  fake_accepts 2; echo 'send 552 5.2.3 Message size exceeds fixed maximum message size'
	  echo 'stall'; } | fake_start
	run lmtp_iq -t 1 alice bob < "$MSG/notice"
	assert_status 75
	assert_output_has 'lmtp-iq: alice: 552 5.2.3'
	assert_output_has 'lmtp-iq: bob: timeout after 1 s waiting for the reply to the final dot for <bob> from'
	assert_output_has 'the message may have been stored; a retry may deliver it twice'
	fake_finish
}

@test "fault: a partial reply line after the dot is 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'raw 250 2.1.5 o'; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "fault: a server that stops reading a large message is a timeout, 75" {
	head -c 8000000 /dev/zero | tr '\0' 'a' | fold -w 100 > "$MSG/big"
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'
	  echo 'hang'; } | fake_start
	run lmtp_iq -t 1 alice < "$MSG/big"
	assert_status 75
	assert_output_has 'timeout after 1 s writing to unix:'
	assert_output_has 'sending the message'
	fake_finish
}

@test "a silent QUIT does not hold up a finished delivery" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 2.1.5 ok'; echo 'expect QUIT'; echo 'stall'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "SIGTERM and SIGALRM during delivery exit 75" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'stall'; echo accept; fake_envelope "$NOTICE_SENDER" alice; echo 'stall'; } | fake_start
	for sig in TERM ALRM; do
		# Not through lmtp_iq: $! must be lmtp-iq itself.
		"$LMTP_IQ" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" -f "$NOTICE_SENDER" alice < "$MSG/notice" 2>"$MSG/err" &
		pid=$!
		sleep 0.3
		kill -"$sig" "$pid"
		rc=0; wait "$pid" || rc=$?
		[ "$rc" -eq 75 ]
		grep -q 'stays queued' "$MSG/err"
	done
	fake_finish
}

@test "-v traces every command and reply line, not the message" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 2.1.5 ok'; fake_bye; } | fake_start
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 0
	assert_output_has '<<< 220 fake.test LMTP ready'
	assert_output_has '>>> LHLO client.test'
	assert_output_has '>>> RCPT TO:<alice> IGNOREQUOTA'
	assert_output_has '>>> [message]'
	assert_output_has '<<< 250 2.1.5 ok'
	assert_output_lacks 'over quota'
	fake_finish
}

@test "a control character in a reply is not passed to stderr" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 550 5.1.1 evil\x1b[2Jtext'
	  echo 'send 503 no'; echo 'expect RSET'; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 67
	assert_output_has 'evil?[2Jtext'
	fake_finish
}

# --- Replies out of turn, windows, limits (the delivery core's rules) ---

# The record must not end with the final dot: nothing was stored.
assert_no_final_dot() {
	[ "$(tail -c 5 "$FAKE_DIR/record" | od -An -c | tr -d ' ')" != '\r\n.\r\n' ]
}

@test "a reply sent with the 354 in one packet is not a verdict: 75, no final dot" {
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'
	  echo 'raw 354 go\r\n250 2.0.0 early\r\n'; echo 'stall'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'spoke or closed the connection right after its 354 reply; nothing delivered'
	fake_finish
	assert_no_final_dot
	! grep -q 'You are over quota' "$FAKE_DIR/record"
}

@test "a 250 that arrives while the body is still being sent is not a verdict: 75, no final dot" {
	head -c 8000000 /dev/zero | tr '\0' 'a' | fold -w 100 > "$MSG/big"
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'
	  echo 'sleep 50'; echo 'send 250 2.0.0 too early'; echo 'stall'; } | fake_start
	run lmtp_iq alice < "$MSG/big"
	assert_status 75
	assert_output_has 'spoke or closed the connection while the message was being sent'
	fake_finish
	assert_no_final_dot
}

@test "replies out of step: an early 250 taken as the verdict, the real 451 met by the pipelined QUIT: 75, nothing trusted, a retry may deliver twice" {
	# As a server that sent 250 while the body was still on its way
	# (too late for lmtp-iq to see before the dot), then its real 451.
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 2.0.0 early'
	  echo 'send 451 4.3.0 the real verdict'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	[ "$output" = "4.5.0 lmtp-iq: alice: unix:$FAKE_DIR/sock answered QUIT with \"451 4.3.0 the real verdict\": its replies are out of step with the commands, so none of its verdicts is trusted; the message may have been stored; a retry may deliver it twice" ]
	fake_finish
}

@test "replies out of step without PIPELINING: QUIT, sent after the verdict, meets the real 451: 75" {
	{ lhlo_offering IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'send 250 2.1.0 ok'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'send 250 2.1.5 ok'
	  echo 'expect DATA'; echo 'send 354 go'; echo 'data'; echo 'send 250 2.0.0 early'
	  echo 'send 451 4.3.0 the real verdict'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'answered QUIT with "451 4.3.0 the real verdict"'
	assert_output_has 'a retry may deliver it twice'
	fake_finish
}

@test "QUIT answered 2xx, or not at all, leaves the verdicts standing: 0" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 2.0.0 stored'
	  echo 'expect QUIT'; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "a server that closes during the body, then says nothing, is 75 and gets no final dot" {
	head -c 8000000 /dev/zero | tr '\0' 'a' | fold -w 100 > "$MSG/big"
	{ fake_envelope "$NOTICE_SENDER" alice; echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'
	  echo 'sleep 50'; echo 'close'; } | fake_start
	run lmtp_iq alice < "$MSG/big"
	assert_status 75
	fake_finish
}

@test "pipelining: no more than 64 commands are ever in flight" {
	# MAIL and 63 RCPTs fill the window: the client must then wait for a
	# reply before it writes the 64th RCPT.
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'
	  for i in $(seq 1 63); do echo "expect RCPT TO:<u$i> IGNOREQUOTA"; done
	  echo 'quiet 300'
	  echo 'send 250 ok'
	  echo 'expect RCPT TO:<u64> IGNOREQUOTA'
	  echo 'quiet 200'
	  for i in $(seq 1 63); do echo 'send 250 ok'; done
	  for i in $(seq 65 70); do echo "expect RCPT TO:<u$i> IGNOREQUOTA"; done
	  echo 'expect DATA'
	  for i in $(seq 64 70); do echo 'send 250 ok'; done
	  echo 'send 354 go'; echo 'data'
	  for i in $(seq 1 70); do echo 'send 250 2.1.5 ok'; done
	  fake_bye; } | fake_start
	run lmtp_iq $(for i in $(seq 1 70); do echo "u$i"; done) < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "pipelining: a refused MAIL stops the rest of the envelope from being written" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<quota-warn@example.org>'
	  for i in $(seq 1 63); do echo "expect RCPT TO:<u$i> IGNOREQUOTA"; done
	  echo 'send 451 4.3.0 try later'
	  for i in $(seq 1 63); do echo 'send 503 5.5.1 need MAIL'; done
	  echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	run lmtp_iq $(for i in $(seq 1 100); do echo "u$i"; done) < "$MSG/notice"
	assert_status 75
	fake_finish
	run ! grep -q 'u64>' "$FAKE_DIR/record"
	! grep -q '^DATA' "$FAKE_DIR/record"
}

@test "limits: a server that answers one byte at a time is ended by delivery_timeout, 75" {
	{ for c in 2 2 0 ' ' s l o w '\r\n'; do echo "raw $c"; echo 'sleep 400'; done; echo 'stall'; } | fake_start
	fake_conf timeout 30
	fake_conf delivery_timeout 2
	start=$SECONDS
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'the delivery time limit was reached waiting for the greeting from'
	[ $((SECONDS - start)) -lt 4 ]
	fake_finish
}

@test "limits: data_timeout bounds the replies after the dot separately from timeout" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'stall'; } | fake_start
	fake_conf timeout 30
	fake_conf data_timeout 1
	start=$SECONDS
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'timeout after 1 s waiting for the reply to the final dot for <alice>'
	assert_output_has 'the message may have been stored; a retry may deliver it twice'
	[ $((SECONDS - start)) -lt 5 ]
	fake_finish
}

@test "LHLO: the first line is the server's name, never a capability" {
	{ echo 'send 220 fake.test LMTP'; echo 'expect LHLO client.test'
	  echo 'send 250-IGNOREQUOTA'; echo 'send 250-PIPELINING'; echo 'send 250 Ok'; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'does not advertise IGNOREQUOTA'
	fake_finish
}

@test "addresses: an unquoted space or tab is 65 and nothing is sent" {
	echo 'stall' | fake_start
	run lmtp_iq -f 'a b@example.org' alice < "$MSG/notice"
	assert_status 65
	assert_output_has 'sender: unquoted space in address; nothing sent'
	run lmtp_iq 'bob IGNOREQUOTA' < "$MSG/notice"
	assert_status 65
	assert_output_has 'recipient 1: unquoted space in address; nothing sent'
	run lmtp_iq alice "$(printf 'bob\tx')" < "$MSG/notice"
	assert_status 65
	assert_output_has 'recipient 2: unquoted space in address'
	run lmtp_iq '"bob' < "$MSG/notice"
	assert_status 65
	assert_output_has 'unterminated quote'
	stop_pid "$FAKE_PID"; FAKE_PID=
	[ ! -s "$FAKE_DIR/record" ]
}

@test "addresses: a control byte behind a backslash in a quoted local part is 65 and nothing is sent" {
	echo 'stall' | fake_start
	# A quoted-pair quotes printable ASCII only: a line feed behind the
	# backslash would still end the RCPT command on the wire.
	run lmtp_iq "$(printf '"a\\\nRSET"@example.org')" < "$MSG/notice"
	assert_status 65
	assert_output_has 'recipient 1: line break in address; nothing sent'
	run lmtp_iq alice "$(printf '"a\\\rb"@example.org')" < "$MSG/notice"
	assert_status 65
	assert_output_has 'recipient 2: line break in address; nothing sent'
	run lmtp_iq -f "$(printf '"q\\\033[2J"@example.org')" alice < "$MSG/notice"
	assert_status 65
	assert_output_has 'sender: control character in address; nothing sent'
	run lmtp_iq "$(printf '"a\\\tb"@example.org')" < "$MSG/notice"
	assert_status 65
	assert_output_has 'recipient 1: unquoted space in address; nothing sent'
	stop_pid "$FAKE_PID"; FAKE_PID=
	[ ! -s "$FAKE_DIR/record" ]
}

@test "addresses: a quoted local part with a space goes out as it is" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<"a b"@example.org>'; echo 'expect RCPT TO:<"c d"@example.org>'
	  echo 'expect DATA'; fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq -f '"a b"@example.org' '"c d"@example.org' < "$MSG/notice"
	assert_status 0
	fake_finish
}

@test "fds: with stderr closed the -v trace never reaches the LMTP connection" {
	{ fake_envelope "$NOTICE_SENDER" alice; fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	# Not through lmtp_iq: the binary itself must start with fd 2 closed.
	run sh -c 'exec "$0" -C "$1" -s "$2" -f "$4" -v alice < "$3" 2>&-' "$LMTP_IQ" \
		"$FAKE_DIR/conf" "unix:$FAKE_DIR/sock" "$MSG/notice" "$NOTICE_SENDER"
	assert_status 0
	fake_finish
	run ! grep -q '>>>' "$FAKE_DIR/record"
	! grep -q '<<<' "$FAKE_DIR/record"
}

@test "trace: -i and a server that offers TRACE: TRACE <queue id> goes ahead of MAIL in the same pipelined group; its refusal changes nothing" {
	printf 'Subject: n\n\nx\n' > "$MSG/notice"
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES TRACE
	  echo 'expect TRACE 4B6AbC0d001234'
	  echo "expect MAIL FROM:<$NOTICE_SENDER>"; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 502 5.5.1 not today'; fake_accepts; echo 'send 250 2.1.5 ok'; fake_bye; } | fake_start
	run lmtp_iq -i 4B6AbC0d001234 alice < "$MSG/notice"
	assert_status 0
	fake_finish
	assert_file_bytes "$FAKE_DIR/record" "${WIRE_LHLO}TRACE 4B6AbC0d001234"$'\r\n'"MAIL FROM:<$NOTICE_SENDER>"$'\r\n'"RCPT TO:<alice> IGNOREQUOTA"$'\r\n'"DATA"$'\r\n'"Subject: n"$'\r\n\r\n'"x"$'\r\n'"."$'\r\n'"QUIT"$'\r\n'
}

@test "trace: without PIPELINING TRACE's reply comes before MAIL is sent; a server without TRACE, or no -i, gets none" {
	printf 'Subject: n\n\nx\n' > "$MSG/notice"
	{ lhlo_offering IGNOREQUOTA TRACE
	  echo 'expect TRACE q1'; echo 'quiet 300'; echo 'send 250 2.0.0 ok'
	  echo "expect MAIL FROM:<$NOTICE_SENDER>"; echo 'send 250 ok'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'send 250 ok'
	  echo 'expect DATA'; echo 'send 354 go'; echo 'data'; echo 'send 250 ok'; fake_bye
	  echo accept; lhlo_offering PIPELINING IGNOREQUOTA
	  echo "expect MAIL FROM:<$NOTICE_SENDER>"; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye
	  echo accept; lhlo_offering PIPELINING IGNOREQUOTA TRACE
	  echo "expect MAIL FROM:<$NOTICE_SENDER>"; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  fake_accepts; echo 'send 250 ok'; fake_bye; } | fake_start
	run lmtp_iq -i q1 alice < "$MSG/notice"
	assert_status 0
	run lmtp_iq -i q2 alice < "$MSG/notice"
	assert_status 0
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	fake_finish
	[ "$(grep -c '^TRACE' "$FAKE_DIR/record")" -eq 1 ]
}
