#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# lmtp_iq as Sendmail's local mailer (define(`confLOCAL_MAILER',
# `lmtp_iq')): every local delivery goes through lmtp-iq -l -L into a
# real Cyrus.  IGNOREQUOTA only for the listed notice sender
# (notices@capture.test), whom outsiders cannot forge; aliases,
# .forward (with F=w), +detail, the null sender and bounces as with
# cyrusv2; a body cannot end itself early.  alice is over quota.

load helpers/common
load helpers/cyrus
load helpers/sendmail
load helpers/smuggle

setup_file() {
	export CYRUS_LOG=1	# Cyrus's own log lines, for the trail
	SM_LOCAL_MAILER=lmtp_iq
	sm_suite_start || return 0
	sm_alias staff 'carol, dave'
	sm_daemon_start
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

# A message from the command line, queued, then one queue run.
local_send() {	# local_send SENDER RCPT... < message
	sm -odq -f "$@" || return
	sm_queue_run
}

# m4 output for a small .mc with lmtp_iq as the local mailer; LINES go
# in before the MAILER lines.  Prints m4's stderr.
local_mc_errors() {	# local_mc_errors LINES
	printf "divert(0)dnl\nOSTYPE(\`linux')dnl\ndefine(\`confLOCAL_MAILER', \`lmtp_iq')dnl\n%s\nMAILER(\`local')dnl\nMAILER(\`smtp')dnl\nMAILER(\`lmtp_iq')dnl\n" \
		"$1" > "$MSG/t.mc"
	m4 -D_CF_DIR_="$SM_DIR/cf/" "$SM_DIR/cf/m4/cf.m4" "$MSG/t.mc" 2>&1 > "$MSG/t.cf"
}

@test "sendmail local: local users resolve to lmtp_iq, the notice domain too; the mailer is cyrusv2's flags in LMTP mode with -L" {
	run resolve alice@localhost
	assert_output_has '$# lmtp_iq $: alice'
	run resolve bob+box@localhost
	assert_output_has '$# lmtp_iq $: bob + box'
	run resolve alice@notices.example.test
	assert_output_has '$# lmtp_iq $@ localhost $: alice < @ notices . example . test . >'
	grep -q '^Mlmtp_iq,.* F=lsDFMnqmzXA@/:|,' "$SM_DIR/test.cf"
	grep -q 'S=EnvFromLmtpIq/HdrFromL, R=EnvToL/HdrToL' "$SM_DIR/test.cf"
	grep -q "^		A=lmtp-iq -l -C $SM_DIR/lmtp-iq.conf -L\$" "$SM_DIR/test.cf"
	grep -q 'T=DNS/RFC822/SMTP' "$SM_DIR/test.cf"
}

@test "sendmail local: ordinary mail from outside to over-quota alice is deferred with Cyrus's 452, not stored, not bounced" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		'RCPT TO:<alice@localhost>' 'DATA' "$(smtp_message ordinary)" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ "$(sm_queued)" -eq 1 ]
	run sm -bp
	assert_output_has '452 4.2.2'
	[ ! -s "$SM_DIR/captured" ]
}

@test "sendmail local: an outside bounce (MAIL FROM:<>) to over-quota alice meets the quota too" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<>' \
		'RCPT TO:<alice@localhost>' 'DATA' "$(smtp_message bounce)" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ "$(sm_queued)" -eq 1 ]
}

@test "sendmail local: a notice from the listed sender, submitted locally to alice@localhost, is stored past the quota" {
	a=$(cyrus_count alice)
	printf 'Subject: your mailbox is full\n\nPlease make room.\n' > "$MSG/n"
	local_send notices@capture.test alice@localhost < "$MSG/n"
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	grep -q '^Return-Path: <notices@capture.test>' "$(cyrus_newest alice)"
	grep -q '^Subject: your mailbox is full' "$(cyrus_newest alice)"
}

@test "sendmail local: the listed sender forged from outside is refused at RCPT (Debian's delay_checks); nothing is queued" {
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<notices@capture.test>' \
		'RCPT TO:<alice@localhost>' 'QUIT'
	assert_output_has '550 5.7.1 <alice@localhost>... Notice sender: only local clients, listed hosts and the logins listed for it may use it'
	assert_output_lacks 'Recipient ok'
	[ "$(sm_queued)" -eq 0 ]
}

@test "sendmail local: an alias expands before delivery: one copy in each member's mailbox" {
	c=$(cyrus_count carol) d=$(cyrus_count dave)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		'RCPT TO:<staff@localhost>' 'DATA' "$(smtp_message 'to staff')" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(cyrus_count dave)" -eq $((d + 1)) ]
	grep -q '^Subject: to staff' "$(cyrus_newest carol)"
	grep -q '^Subject: to staff' "$(cyrus_newest dave)"
}

@test "sendmail local: user+detail reaches Cyrus as RCPT TO:<bob+box>, stored in bob's INBOX" {
	b=$(cyrus_count bob)
	printf 'Subject: plussed\n\nx\n' | local_send someone@capture.test bob+box@localhost
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count bob)" -eq $((b + 1)) ]
	grep -q '^Subject: plussed' "$(cyrus_newest bob)"
}

@test "sendmail local: 8-bit body bytes are stored unchanged" {
	e=$(cyrus_count erin)
	printf 'Subject: eight bit\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\303\274\303\237e\n' |
		local_send someone@capture.test erin@localhost
	[ "$(cyrus_count erin)" -eq $((e + 1)) ]
	grep -q $'^Gr\303\274\303\237e\r$' "$(cyrus_newest erin)"
}

@test "sendmail local: an unknown user bounces with Cyrus's 5.1.1 and its text; the bounce is stored with Return-Path: <>" {
	c=$(cyrus_count carol)
	printf 'Subject: to nobody\n\nx\n' > "$MSG/m"
	run local_send carol@localhost nosuchuser@localhost < "$MSG/m"
	# Refused at RCPT, passed on at once: the run exits EX_NOUSER.
	assert_status 67
	sm_queue_run	# the bounce, if it was queued
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	f=$(cyrus_newest carol)
	grep -q '^Return-Path: <>' "$f"
	grep -qi '^Final-Recipient: RFC822; nosuchuser@' "$f"
	grep -q '^Status: 5.1.1' "$f"
	grep -q '^Diagnostic-Code: SMTP; 550 5.1.1 User unknown' "$f"
}

@test "sendmail local: from outside, a line of 8189 bytes then '.' to ordinary carol: nothing smuggled into over-quota alice, carol's copy whole" {
	export SMUGGLE_TO=alice
	a=$(cyrus_count alice) c=$(cyrus_count carol)
	smuggle_through_sendmail carol@localhost
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	assert_stored_whole "$(cyrus_newest carol)" long
}

@test "sendmail local: the mailertable notice route keeps working beside it" {
	a=$(cyrus_count alice)
	printf 'Subject: notice by domain\n\nx\n' | local_send notices@capture.test alice@notices.example.test
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	grep -q '^Subject: notice by domain' "$(cyrus_newest alice)"
}

@test "sendmail local: lmtp-iq.conf without notice_senders: lmtp-iq greets 421 and why, the mail stays queued, nothing bounces" {
	sm_conf notice_senders
	b=$(cyrus_count bob)
	printf 'Subject: while misconfigured\n\nx\n' | local_send someone@capture.test bob@localhost
	[ "$(cyrus_count bob)" -eq "$b" ]
	[ "$(sm_queued)" -eq 1 ]
	# The deferral's whole text, as the queue file keeps it.
	run grep -h '^M' "$SM_DIR"/mqueue/qf*
	assert_output_has '421 4.3.5 lmtp-iq: config: notice_senders is not set'
	[ ! -s "$SM_DIR/captured" ]
	# Fixed: the same queue run delivers it.
	sm_conf notice_senders "$SM_NOTICE_SENDERS"
	sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count bob)" -eq $((b + 1)) ]
}

@test "sendmail local: <> among notice_senders is refused at start as well" {
	sm_conf notice_senders "$SM_NOTICE_SENDERS <>"
	printf 'Subject: null listed\n\nx\n' | local_send someone@capture.test bob@localhost
	[ "$(sm_queued)" -eq 1 ]
	run grep -h '^M' "$SM_DIR"/mqueue/qf*
	assert_output_has '421 4.3.5 lmtp-iq: config: notice_senders lists <>'
}

@test "sendmail local: .forward files expand with LMTP_IQ_MAILER_FLAGS w (users in passwd)" {
	# carol and dave as Unix users of this Sendmail (its own /etc/passwd);
	# carol forwards to dave.
	mkdir -p "$SM_DIR/home/carol" "$SM_DIR/home/dave"
	{ cat /etc/passwd
	  printf 'carol:x:61001:61001::%s/home/carol:/bin/sh\n' "$SM_DIR"
	  printf 'dave:x:61002:61002::%s/home/dave:/bin/sh\n' "$SM_DIR"; } > "$SM_DIR/passwd"
	printf 'dave\n' > "$SM_DIR/home/carol/.forward"
	chmod 644 "$SM_DIR/home/carol/.forward"
	sed "/^FEATURE(\`lmtp_iq_notices'/i define(\`LMTP_IQ_MAILER_FLAGS', \`w')dnl" \
		"$SM_DIR/test.mc" > "$SM_DIR/testw.mc"
	m4 -D_CF_DIR_="$SM_DIR/cf/" "$SM_DIR/cf/m4/cf.m4" "$SM_DIR/testw.mc" > "$SM_DIR/testw.cf"
	grep -q '^Mlmtp_iq,.* F=lsDFMnqmzXA@/:|w,' "$SM_DIR/testw.cf"
	c=$(cyrus_count carol) d=$(cyrus_count dave)
	printf 'Subject: forwarded\n\nx\n' > "$MSG/f"
	SM_CF=$SM_DIR/testw.cf sm -odq -f someone@capture.test carol@localhost < "$MSG/f"
	SM_CF=$SM_DIR/testw.cf sm_queue_run
	rm -f "$SM_DIR/passwd" "$SM_DIR/testw.cf"
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count carol)" -eq "$c" ]
	[ "$(cyrus_count dave)" -eq $((d + 1)) ]
	grep -q '^Subject: forwarded' "$(cyrus_newest dave)"
}

@test "sendmail local: the m4 refuses a set-up that would pass the quota for everyone, and argv mode" {
	# The feature without notice senders: every sender would be a notice.
	run local_mc_errors "FEATURE(\`lmtp_iq_notices', \`notices.example.test')dnl"
	assert_output_has '*** ERROR: lmtp_iq as the local mailer carries IGNOREQUOTA only for notice senders'
	run local_mc_errors "FEATURE(\`lmtp_iq_notices', \`', \`', \`q@example.test <>')dnl"
	assert_output_has '*** ERROR: lmtp_iq as the local mailer: <> among the notice senders'
	run local_mc_errors "define(\`LMTP_IQ_MAILER_MODE', \`argv')dnl"
	assert_output_has '*** ERROR: lmtp_iq as the local mailer runs in LMTP mode'
	# Neither domain nor senders: the feature has nothing to do.
	run local_mc_errors "FEATURE(\`lmtp_iq_notices')dnl"
	assert_output_has '*** ERROR: FEATURE(lmtp_iq_notices) needs a notice domain, notice senders'
}

@test "sendmail local: the feature with notice senders and no notice domain: -L, the MAIL check, no notice class" {
	run local_mc_errors "FEATURE(\`lmtp_iq_notices', \`', \`', \`q@example.test')dnl"
	assert_output_lacks 'ERROR'
	grep -q '^		A=lmtp-iq -l -L$' "$MSG/t.cf"
	grep -q '^C{LmtpIqSenders}q@example.test$' "$MSG/t.cf"
	grep -q '^C{LmtpIqNotices}$' "$MSG/t.cf"
	grep -q '^SLmtpIq_check_mail' "$MSG/t.cf"
}

@test "sendmail local: without the feature no local delivery can carry IGNOREQUOTA (-q off)" {
	run local_mc_errors ''
	assert_output_lacks 'ERROR'
	grep -q '^		A=lmtp-iq -l -L -q off$' "$MSG/t.cf"
	grep -q '^Mlmtp_iq,.* F=lsDFMnqmzXA@/:|,' "$MSG/t.cf"
}

@test "sendmail local: the trail: Sendmail's queue id finds lmtp-iq's line (the id from Sendmail's Received: line), whose SESSIONID (Cyrus 3.10) or Message-ID (3.6) finds Cyrus's Delivered: line; ordinary mail carries no IGNOREQUOTA" {
	sm_trail notices@capture.test alice@localhost alice
	[[ "$TRAIL" == *", ignorequota=yes, dsn=2.1.5, "* ]]
	sm_trail someone@capture.test bob@localhost bob
	[[ "$TRAIL" == *", ignorequota=no (sender <someone@capture.test> is not in notice_senders), dsn=2.1.5, "* ]]
}
