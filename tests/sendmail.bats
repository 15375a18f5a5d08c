#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A real Sendmail (Debian's sendmail-bin, a test .cf built from the
# project's m4 files) in front of a real Cyrus: notices routed through the
# mailertable to lmtp_iq get past the quota, first time and on queue
# retries; ordinary mail still meets it; outsiders cannot use the route.

load helpers/common
load helpers/cyrus
load helpers/sendmail

setup_file() {
	export CYRUS_LOG=1	# Cyrus's own log lines, for the trail
	sm_suite_start || return 0
	sm_daemon_start
	sm_bs_serve
	export SM_BS_PID
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	sm_test_setup
}

teardown() {
	sm_test_teardown
}

@test "sendmail -bt: a notice address resolves to lmtp_iq, an ordinary one to cyrusv2" {
	run resolve alice@notices.example.test
	assert_output_has '$# lmtp_iq $@ localhost $: alice <'
	run resolve alice@localhost
	assert_output_has '$# cyrusv2 $: alice'
	run resolve alice
	assert_output_has '$# cyrusv2 $: alice'
}

@test "sendmail: over quota, ordinary mail stays queued and a notice is stored" {
	before=$(cyrus_count alice)
	run sm -odi -f sender@capture.test alice@localhost < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count alice)" -eq "$before" ]
	[ "$(sm_queued)" -eq 1 ]
	run sm -bp
	assert_output_has '452 4.2.2 Over quota'

	run sm -odi -f notices@capture.test alice@notices.example.test < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
	grep -q '^Subject: Your mailbox is over quota' "$(cyrus_newest alice)"
	[ "$(sm_queued)" -eq 1 ]	# only the ordinary one waits
}

@test "sendmail: a notice queued while Cyrus is down is delivered past the quota by the queue run" {
	before=$(cyrus_count alice)
	cyrus_halt
	run sm -odi -f notices@capture.test alice@notices.example.test < "$MSG/notice"
	assert_status 0
	[ "$(sm_queued)" -eq 1 ]
	run sm -bp
	assert_output_has 'Deferred: lmtp_iq mailer'
	cyrus_resume
	run sm -qf
	assert_status 0
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
	[ "$(cyrus_usage alice)" -ge 10 ]
}

@test "sendmail: a notice to an unknown user bounces with DSN 5.1.1 and lmtp-iq's line" {
	# Queued, then delivered by a queue run as the daemon would: the
	# bounce is mailed to the sender (captured by the test mailer).
	run sm -odq -f notices@capture.test nosuchuser@notices.example.test < "$MSG/notice"
	assert_status 0
	run sm -qf
	[ "$(sm_queued)" -eq 0 ]
	grep -q '^To: notices@capture.test' "$SM_DIR/captured"
	grep -q '^Status: 5.1.1' "$SM_DIR/captured"
	grep -q '^Action: failed' "$SM_DIR/captured"
	grep -qi '^Final-Recipient: rfc822; nosuchuser@notices.example.test' "$SM_DIR/captured"
	grep -q '^5.1.1 lmtp-iq: nosuchuser: 550 5.1.1 User unknown' "$SM_DIR/captured"
}

@test "sendmail: a +detail notice address is delivered to the user" {
	before=$(cyrus_count alice)
	run sm -odi -f notices@capture.test alice+quota@notices.example.test < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
}

@test "sendmail: an outside SMTP client is refused at RCPT for the notice domain" {
	run check_rcpt_as alice@notices.example.test client_addr=203.0.113.9
	assert_output_has '$# error $@ 5 . 7 . 1 $: "550 Notice address: only local clients, listed hosts and the logins listed for the sender may use it"'
}

@test "sendmail: listing the notice domain for relaying does not open it to outsiders" {
	run check_rcpt_as alice@notices.example.test '.CR notices.example.test' \
		client_addr=203.0.113.9
	assert_output_has '$# error $@ 5 . 7 . 1'
}

@test "sendmail: loopback (the MSP), trusted clients and the login listed for the sender are accepted for notices; any other login is not" {
	run check_rcpt_as alice@notices.example.test client_addr=127.0.0.1
	assert_output_has '$# OK'
	run check_rcpt_as alice@notices.example.test client_addr=IPv6:::1
	assert_output_has '$# OK'
	# quotajob:notices@capture.test is the feature's fourth argument.
	run check_rcpt_as alice@notices.example.test client_addr=203.0.113.9 auth_type=PLAIN \
		auth_authen=quotajob f=notices@capture.test
	assert_output_has '$# OK'
	run check_rcpt_as alice@notices.example.test client_addr=203.0.113.9 auth_type=PLAIN \
		auth_authen=bob f=notices@capture.test
	assert_output_has '$# error $@ 5 . 7 . 1'
	run check_rcpt_as alice@notices.example.test client_addr=203.0.113.9 auth_type=PLAIN \
		auth_authen=quotajob f=bob@capture.test
	assert_output_has '$# error $@ 5 . 7 . 1'
	# A login rules out the other ways in: loopback with bob's login.
	run check_rcpt_as alice@notices.example.test client_addr=127.0.0.1 auth_type=PLAIN \
		auth_authen=bob f=notices@capture.test
	assert_output_has '$# error $@ 5 . 7 . 1'
	run check_rcpt_as alice@notices.example.test client_addr=198.51.100.10
	assert_output_has '$# OK'
	run check_rcpt_as alice@notices.example.test client_addr=10.20.8.7
	assert_output_has '$# OK'
	# The trusted list is exact: a neighbour is not trusted.
	run check_rcpt_as alice@notices.example.test client_addr=198.51.100.100
	assert_output_has '$# error $@ 5 . 7 . 1'
}

@test "sendmail: the access map can trust a client or a network for notices (LmtpIq:addr OK)" {
	run check_rcpt_as alice@notices.example.test client_addr=198.51.100.50
	assert_output_has '$# OK'
	run check_rcpt_as alice@notices.example.test client_addr=10.9.8.7
	assert_output_has '$# OK'
	run check_rcpt_as alice@notices.example.test client_addr=198.51.100.51
	assert_output_has '$# error $@ 5 . 7 . 1'
}

@test "sendmail: a To:notice-domain RELAY access entry does not open the route to outsiders" {
	grep -q '^To:notices.example.test' "$SM_DIR/access"
	run check_rcpt_as alice@notices.example.test client_addr=203.0.113.9
	assert_output_has '$# error $@ 5 . 7 . 1'
}

@test "sendmail: ordinary recipients are left to the normal checks" {
	run check_rcpt_as bob@elsewhere.example client_addr=203.0.113.9
	assert_output_has 'Relaying denied'
	run check_rcpt_as alice@localhost client_addr=203.0.113.9 f=someone@capture.test
	assert_output_has 'check_rcpt'
	assert_output_lacks 'error'
}

@test "sendmail -bs: the local submission path is accepted for the notice domain" {
	run sm_bs 'HELO client.test' 'MAIL FROM:<>' 'RCPT TO:<alice@notices.example.test>' \
		'RSET' 'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@notices.example.test>' 'QUIT'
	[ "$(grep -c '^250 2.1.5 <alice@notices.example.test>... Recipient ok' <<< "$output")" -eq 2 ]
}

@test "sendmail: one message with notices for three over-quota users stores each exactly once" {
	cyrus_fill carol
	cyrus_fill dave
	a=$(cyrus_count alice); c=$(cyrus_count carol); d=$(cyrus_count dave)
	run sm -odi -f notices@capture.test alice@notices.example.test \
		carol@notices.example.test dave@notices.example.test < "$MSG/notice"
	assert_status 0
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(cyrus_count dave)" -eq $((d + 1)) ]
	# A queue run finds nothing left to send again.
	run sm -qf
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
}

@test "sendmail: mail from the null sender through the notice route is ordinary mail: it meets the quota (<> is never a notice sender)" {
	before=$(cyrus_count alice)
	run sm -odq -f '<>' alice@notices.example.test < "$MSG/notice"
	assert_status 0
	run sm_queue_run
	[ "$(sm_queued)" -eq 1 ]
	[ "$(cyrus_count alice)" -eq "$before" ]
	# Deferred by lmtp-iq's exit 75 (Cyrus said 452 4.2.2).
	run grep -h '^M' "$SM_DIR"/mqueue/qf*
	assert_output_has 'lmtp_iq mailer'
	assert_output_has 'exited with EX_TEMPFAIL'
}

@test "sendmail: an outside client using a notice-domain or notice sender is refused at every RCPT: no bounce or receipt reaches the notice domain" {
	# Sendmail itself must keep the outsider out: nothing of theirs
	# (a bounce, a receipt) may be accepted into the notice domain.
	# Debian's delay_checks judges the sender at RCPT, not at MAIL.
	before=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<alice@notices.example.test>' 'RCPT TO:<nosuchuser@localhost>' \
		'RSET' 'MAIL FROM:<alice@notices.example.test> RET=FULL' \
		'RCPT TO:<bob@localhost> NOTIFY=SUCCESS' \
		'RSET' 'MAIL FROM:<notices@capture.test>' 'RCPT TO:<bob@localhost>' 'QUIT'
	assert_status 0
	[ "$(grep -c '^250 2.1.0 <[^>]*>... Sender ok' <<< "$output")" -eq 3 ]
	assert_output_has '550 5.7.1 <nosuchuser@localhost>... Notice sender: only local clients, listed hosts and the logins listed for it may use it'
	[ "$(grep -c '^550 5.7.1 <bob@localhost>... Notice sender: only local clients, listed hosts and the logins listed for it may use it' <<< "$output")" -eq 2 ]
	[ "$(sm_queued)" -eq 0 ]
	run sm_queue_run
	[ "$(cyrus_count alice)" -eq "$before" ]
}

@test "sendmail: an outside client is refused at RCPT for the notice domain by the running daemon" {
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		'RCPT TO:<alice@notices.example.test>' 'QUIT'
	assert_output_has '250 2.1.0 <someone@capture.test>... Sender ok'
	assert_output_has '550 5.7.1 <alice@notices.example.test>... Notice address: only local clients, listed hosts and the logins listed for the sender may use it'
	[ "$(sm_queued)" -eq 0 ]
}

@test "sendmail: from a trusted client the bounce and the NOTIFY=SUCCESS receipt to a notice address are accepted, and meet the quota (the null sender is never a notice sender)" {
	before=$(cyrus_count alice)
	run smtp_from "$SM_TRUSTED" 'EHLO trusted.test' \
		'MAIL FROM:<alice@notices.example.test>' 'RCPT TO:<nosuchuser@localhost>' \
		'DATA' "$(smtp_message bounced)" \
		'MAIL FROM:<alice@notices.example.test>' 'RCPT TO:<bob@localhost> NOTIFY=SUCCESS' \
		'DATA' "$(smtp_message receipt)" 'QUIT'
	assert_status 0
	[ "$(grep -c '^250 2.0.0 .* Message accepted for delivery' <<< "$output")" -eq 2 ]
	run sm_queue_run
	# Both stay queued, deferred by lmtp-iq's 75 (alice is over quota).
	[ "$(sm_queued)" -eq 2 ]
	[ "$(cyrus_count alice)" -eq "$before" ]
	[ "$(grep -h '^M' "$SM_DIR"/mqueue/qf* | grep -c 'lmtp_iq mailer .* exited with EX_TEMPFAIL')" -eq 2 ]
}

@test "sendmail: outside mail that an alias or the virtusertable forwards into the notice domain meets the quota" {
	before=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<someone@capture.test>' 'RCPT TO:<fwd@localhost>' \
		'RCPT TO:<fwd@virt.test>' 'DATA' "$(smtp_message forwarded)" 'QUIT'
	assert_output_has '250 2.1.5 <fwd@localhost>... Recipient ok'
	assert_output_has '250 2.1.5 <fwd@virt.test>... Recipient ok'
	assert_output_has 'Message accepted for delivery'
	run sm_queue_run
	# Not a notice sender: no IGNOREQUOTA, Cyrus says 452, it waits.
	[ "$(cyrus_count alice)" -eq "$before" ]
	[ "$(sm_queued)" -eq 1 ]
	run sm -bp
	assert_output_has 'Deferred: lmtp_iq mailer'
	# The same alias does take a real notice past the quota.
	rm -f "$SM_DIR"/mqueue/*
	run sm -odi -f notices@capture.test fwd@localhost < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
}

@test "sendmail: a Cyrus Sieve redirect into the notice domain carrying outside mail meets the quota" {
	printf 'Subject: hello\r\n\r\nfirst\r\n' > "$MSG/first"
	"$TOOLS/rawlmtp" -s "unix:$CYRUS_SOCK" -f "$MSG/first" erin
	cyrus_sieve erin 'redirect "alice@notices.example.test";'
	before=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<someone@capture.test>' 'RCPT TO:<erin@localhost>' \
		'DATA' "$(smtp_message redirected)" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	run sm -qf		# to erin; her Sieve submits the redirect (-bs)
	wait_until 5 '[ "$(sm_queued)" -ge 1 ]' || true
	run sm -qf		# the redirect, through lmtp_iq
	grep -q '^Return-Path: <someone@capture.test>' "$SM_DIR"/mqueue/* 2>/dev/null ||
		grep -q 'someone@capture.test' "$SM_DIR"/mqueue/qf*
	[ "$(cyrus_count alice)" -eq "$before" ]
	run sm -bp
	assert_output_has 'alice@notices.example.test'
	assert_output_has 'Deferred: lmtp_iq mailer'
}

@test "sendmail argv, the notice route: the trail: Sendmail's queue id (A= passes \$i) finds lmtp-iq's line, whose SESSIONID (Cyrus 3.10) or Message-ID (3.6) finds Cyrus's Delivered: line" {
	sm_trail notices@capture.test alice@notices.example.test alice
	[[ "$TRAIL" == *", ignorequota=yes, dsn=2.1.5, "* ]]
}
