#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The README's set-up, as a newcomer pastes it: its sendmail.mc lines
# (read from README.md itself, without FEATURE(access_db)), its
# mailertable line and its lmtp-iq.conf line, in front of a real
# Sendmail daemon and a real Cyrus.

load helpers/common
load helpers/cyrus
load helpers/sendmail

# readme_block WORD: the README's first ``` block that holds WORD.
readme_block() {
	doc_block README.md "$1"
}

setup_file() {
	suite_needs_root "Sendmail and Cyrus run from temp dirs, in private namespaces" || return 0
	cyrus_suite_start
	README_LINES=$(make_tmp readme)
	readme_block "FEATURE(\`lmtp_iq_notices'" > "$README_LINES/mc"
	grep -q "^MAILER(\`lmtp_iq')dnl$" "$README_LINES/mc"
	run ! grep -q access_db "$README_LINES/mc"
	SM_MC=readme.mc SM_MC_LINES=$README_LINES/mc
	SM_MAILERTABLE=$(readme_block 'lmtp_iq:localhost')
	SM_NOTICE_SENDERS=$(readme_block 'notice_senders = ' | sed -n 's/^notice_senders = //p')
	[ "$SM_NOTICE_SENDERS" = quota-warn@example.org ]
	sendmail_setup
	sm_daemon_start
	export SM_DIR SM_NS_PID SM_NOTICE_SENDERS README_LINES
}

teardown_file() {
	sendmail_suite_stop
	rm -rf "${README_LINES:-}"
}

setup() {
	suite_skip_check
	rm -f "$SM_DIR"/mqueue/*
}

@test "README: its sendmail.mc lines build a sendmail.cf that Sendmail loads and serves" {
	grep -q "^FEATURE(\`lmtp_iq_notices', \`notices.example.org'" "$SM_DIR/test.mc"
	run ! grep -q 'dnldnl' "$SM_DIR/test.cf"
	run sm -bt < /dev/null
	assert_status 0
	assert_output_lacks 'unknown configuration line'
	assert_output_lacks 'undefined'
	run smtp_from 127.0.0.1 'EHLO client.test' 'QUIT'
	assert_output_has '250-ENHANCEDSTATUSCODES'
	assert_output_has '221 2.0.0'
}

@test "README: a notice from the notice sender, submitted over loopback, is stored past the quota" {
	before=$(cyrus_count alice)
	run smtp_from 127.0.0.1 'EHLO client.test' 'MAIL FROM:<quota-warn@example.org>' \
		'RCPT TO:<alice@notices.example.org>' 'DATA' "$(smtp_message 'over quota')" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	run sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
	head -1 "$(cyrus_newest alice)" | grep -q '^Return-Path: <quota-warn@example.org>'
}

@test "README: without access_db an outside client is refused at RCPT and at MAIL" {
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@example.org>' \
		'RCPT TO:<alice@notices.example.org>' 'RSET' 'MAIL FROM:<quota-warn@example.org>' \
		'RSET' 'MAIL FROM:<alice@notices.example.org>' 'QUIT'
	assert_output_has '550 5.7.1 <alice@notices.example.org>... Notice address'
	assert_output_has '550 5.7.1 <quota-warn@example.org>... Notice sender'
	assert_output_has '550 5.7.1 <alice@notices.example.org>... Notice sender'
	[ "$(sm_queued)" -eq 0 ]
}

@test "README: mail from any other sender to the notice domain meets the quota and stays queued" {
	before=$(cyrus_count alice)
	printf 'Subject: not a notice\n\nhello\n' > "$README_LINES/msg"
	run sm -odi -f someone@example.org alice@notices.example.org < "$README_LINES/msg"
	assert_status 0
	[ "$(cyrus_count alice)" -eq "$before" ]
	[ "$(sm_queued)" -eq 1 ]
}
