#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# LMTP mode end to end: a real Sendmail whose lmtp_iq mailer is built
# with LMTP_IQ_MAILER_MODE lmtp (F=mzX, A=lmtp-iq -l) in front of a real
# Cyrus.  Each recipient gets Cyrus's own verdict, DSNs carry Cyrus's
# status and text, and a queue run is served by one lmtp-iq process.
#
# The mailer program is a wrapper that records each start (its PID in
# $SM_DIR/starts) and runs lmtp-iq.

load helpers/common
load helpers/cyrus
load helpers/sendmail
load helpers/smuggle

setup_file() {
	# A message limit to exceed: Cyrus refuses larger ones with its own
	# enhanced code.
	CYRUS_EXTRA_CONF='maxmessagesize: 20000'
	export CYRUS_LOG=1	# Cyrus's own log lines (a restart too), for the trail
	SM_IQ_MODE=lmtp
	sm_suite_start || return 0
	mv "$SM_DIR/bin/lmtp-iq" "$SM_DIR/bin/lmtp-iq.real"
	touch "$SM_DIR/starts"
	chmod 666 "$SM_DIR/starts"
	printf '#!/bin/sh\necho $$ >> %s/starts\nexec %s/bin/lmtp-iq.real "$@"\n' \
		"$SM_DIR" "$SM_DIR" > "$SM_DIR/bin/lmtp-iq"
	chmod 755 "$SM_DIR/bin/lmtp-iq"
	sm_alias smug carol@notices.example.test
	sm_daemon_start
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	sm_test_setup
	: > "$SM_DIR/starts"
}

teardown() {
	sm_test_teardown
}

# The bounce's DSN part for one recipient, as "Field: value" lines.
dsn_of() {
	awk -v r="$1" 'tolower($0) ~ "^final-recipient: rfc822; " r { p = 1 }
		p && /^$/ { exit } p' "$SM_DIR/captured"
}

@test "sendmail LMTP mode: the mailer is F=mzX and runs lmtp-iq -l" {
	grep -q '^Mlmtp_iq,.* F=lsDFMnqmzX,' "$SM_DIR/test.cf"
	grep -q "^		A=lmtp-iq -l -C $SM_DIR/lmtp-iq.conf\$" "$SM_DIR/test.cf"
	grep -q 'T=DNS/RFC822/SMTP' "$SM_DIR/test.cf"
}

@test "sendmail LMTP mode: alice (over quota) and bob stored once each; nosuchuser bounces with 5.1.1 and Cyrus's reply" {
	a=$(cyrus_count alice) b=$(cyrus_count bob)
	printf '.hidden line\n' >> "$MSG/notice"
	run sm -odi -f notices@capture.test alice@notices.example.test \
		bob@notices.example.test nosuchuser@notices.example.test < "$MSG/notice"
	# Cyrus refused nosuchuser at its RCPT, and lmtp-iq passed that on
	# at once: sendmail -odi exits with the refusal (EX_NOUSER).
	assert_status 67
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	[ "$(cyrus_count bob)" -eq $((b + 1)) ]
	[ "$(sm_queued)" -eq 0 ]
	# Sendmail dot-stuffed the body (F=X), lmtp-iq passed it on stuffed
	# once: Cyrus stores the line as it was written.
	grep -q $'^\\.hidden line\r$' "$(cyrus_newest bob)"
	grep -q $'^Please make room.\r$' "$(cyrus_newest bob)"
	# One lmtp-iq for the whole message.
	[ "$(wc -l < "$SM_DIR/starts")" -eq 1 ]
	run dsn_of nosuchuser@notices.example.test
	assert_output_has 'Action: failed'
	assert_output_has 'Status: 5.1.1'
	assert_output_has 'Diagnostic-Code: SMTP; 550 5.1.1 User unknown'
	# Only nosuchuser is in the bounce.
	! grep -qi '^Final-Recipient: rfc822; \(alice\|bob\)@' "$SM_DIR/captured"
}

@test "sendmail LMTP mode: a message over Cyrus's maxmessagesize bounces with Cyrus's own status and text, not 5.5.0" {
	{ cat "$MSG/notice"; for _ in $(seq 1 300); do printf '%075d\n' 0; done; } > "$MSG/big"
	b=$(cyrus_count bob)
	run sm -odi -f notices@capture.test bob@notices.example.test < "$MSG/big"
	assert_status 69
	[ "$(cyrus_count bob)" -eq "$b" ]
	run dsn_of bob@notices.example.test
	assert_output_has 'Action: failed'
	# Sendmail sends SIZE=; Cyrus 3.6 refuses it at MAIL with 552 5.2.3
	# (argv mode can only say 69, which Sendmail reports as 5.5.0).
	assert_output_has 'Status: 5.2.3'
	assert_output_has 'Diagnostic-Code: SMTP; 552 5.2.3 Message SIZE exceeds fixed maximum message size (20000)'
	assert_output_lacks '5.5.0'
}

@test "sendmail LMTP mode: one recipient deferred, the others delivered; after the queue run each holds exactly one copy" {
	# Mail from a sender outside notice_senders meets the quota: Cyrus
	# defers over-quota alice (452) and takes carol.
	a=$(cyrus_count alice) c=$(cyrus_count carol)
	printf 'Subject: deferred for one\nMessage-ID: <one-deferred.%s@capture.test>\n\nx\n' "$RANDOM" > "$MSG/m"
	run sm -odi -f someone@capture.test alice@notices.example.test carol@notices.example.test < "$MSG/m"
	assert_status 0
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ "$(sm_queued)" -eq 1 ]
	run sm -bp
	assert_output_has 'alice@notices.example.test'
	assert_output_lacks 'carol@notices.example.test'
	assert_output_has '452 4.2.2'
	[ ! -s "$SM_DIR/captured" ]	# no bounce: a delay, not a failure
	# Let that sender's mail past the quota, and run the queue.
	sm_conf notice_senders "$SM_NOTICE_SENDERS someone@capture.test"
	run sm -qf
	assert_status 0
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(grep -l 'Subject: deferred for one' "$(dirname "$(cyrus_newest alice)")"/*. | wc -l)" -eq 1 ]
	[ "$(grep -l 'Subject: deferred for one' "$(dirname "$(cyrus_newest carol)")"/*. | wc -l)" -eq 1 ]
}

@test "sendmail LMTP mode: Cyrus down during a queue run keeps everything queued, bounces nothing; one run after restart delivers each once" {
	b=$(cyrus_count bob) d=$(cyrus_count dave)
	for i in 1 2 3; do
		printf 'Subject: while down %s\n\nx\n' "$i" > "$MSG/m$i"
		sm -odq -f notices@capture.test bob@notices.example.test dave@notices.example.test < "$MSG/m$i"
	done
	[ "$(sm_queued)" -eq 3 ]
	cyrus_halt
	run sm -qf
	[ "$(sm_queued)" -eq 3 ]
	run sm -bp
	assert_output_has '451 4.4.1'
	[ ! -s "$SM_DIR/captured" ]
	cyrus_resume
	run sm -qf
	assert_status 0
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count bob)" -eq $((b + 3)) ]
	[ "$(cyrus_count dave)" -eq $((d + 3)) ]
	[ ! -s "$SM_DIR/captured" ]
}

@test "sendmail LMTP mode: a queue run of 30 messages starts lmtp-iq once, not once per message" {
	e=$(cyrus_count erin)
	for i in $(seq 1 30); do
		printf 'Subject: queued %s\n\nx\n' "$i" |
			sm -odq -f notices@capture.test erin@notices.example.test
	done
	[ "$(sm_queued)" -eq 30 ]
	run sm -qf
	assert_status 0
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count erin)" -eq $((e + 30)) ]
	starts=$(wc -l < "$SM_DIR/starts")
	echo "# lmtp-iq started $starts time(s) for 30 messages" >&3
	[ "$starts" -le 2 ]
}

@test "sendmail LMTP mode: an outside SMTP client, an alias into the notice domain, a line of 8189 bytes then '.': nothing smuggled into over-quota alice, carol's copy whole" {
	export SMUGGLE_TO=alice
	a=$(cyrus_count alice) c=$(cyrus_count carol)
	smuggle_through_sendmail
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	assert_stored_whole "$(cyrus_newest carol)" long
}

@test "sendmail LMTP mode, the notice route: the trail: Sendmail's queue id finds lmtp-iq's line (the id from Sendmail's Received: line), whose SESSIONID (Cyrus 3.10) or Message-ID (3.6) finds Cyrus's Delivered: line" {
	sm_trail notices@capture.test alice@notices.example.test alice
	[[ "$TRAIL" == *", ignorequota=yes, dsn=2.1.5, "* ]]
}

@test "sendmail LMTP mode: a recipient Cyrus refuses at RCPT is refused to Sendmail at RCPT: Sendmail sends no message for it, and bounces it with Cyrus's 5.1.1" {
	sm_conf syslog yes
	: > "$SM_DIR/maillog"
	sm_log_start
	st=0
	printf 'Message-ID: <nobody.%s@example.test>\nSubject: to nobody\n\nx\n' "$$" |
		sm_logged -odi -f notices@capture.test nosuchuser@notices.example.test || st=$?
	sm_log_stop
	sm_conf syslog no
	[ "$st" -eq 67 ]
	[ "$(sm_queued)" -eq 0 ]
	# lmtp-iq's line: the refusal, and no message seen (no Message-ID:
	# Sendmail never got past RCPT, so no DATA and no body came).
	line=$(log_lines "$SM_DIR/maillog" | grep -a 'lmtp-iq\[[0-9]*\]: to=<nosuchuser>, ')
	[[ "$line" == *", from=<notices@capture.test>, msgid=none, "* ]]
	[[ "$line" == *", dsn=5.1.1, "* ]]
	# Sendmail's own line: refused at RCPT, the bounce sent.
	log_lines "$SM_DIR/maillog" | grep -aq 'sendmail\[[0-9]*\]: [0-9A-Za-z]*: to=<\{0,1\}nosuchuser@notices.example.test>\{0,1\}, .*mailer=lmtp_iq, .*dsn=5.1.1, reply=550 5.1.1 User unknown'
	# For comparison, a recipient it accepts gets the message through
	# the same way, with its Message-ID.
	sm_trail notices@capture.test alice@notices.example.test alice
}
