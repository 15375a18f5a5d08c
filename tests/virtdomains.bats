#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Cyrus virtual domains (virtdomains: userid): one notice domain per hosted
# domain, the mailertable's host part naming the Cyrus domain, and the
# mailer passing $u@$h.  Real Sendmail, real Cyrus.

load helpers/common
load helpers/cyrus
load helpers/sendmail

setup_file() {
	suite_needs_root "Sendmail and Cyrus run from temp dirs, in private namespaces" || return 0
	CYRUS_EXTRA_CONF='virtdomains: userid'
	CYRUS_USERS='alice@example.org alice@example.net'
	cyrus_start
	SM_IQ_ARGS='lmtp-iq -C DIR/lmtp-iq.conf -i $i -f $g -- $u@$h'
	SM_NOTICE_SENDERS=quota-warn@example.org
	SM_MAILERTABLE=$'notices.example.org\tlmtp_iq:example.org\nnotices.example.net\tlmtp_iq:example.net\n'
	sendmail_setup
	cyrus_fill alice@example.org
	export CYRUS_DIR CYRUS_PID CYRUS_SOCK CYRUS_PORT CYRUS_PORT6 SM_DIR
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	printf 'From: postmaster@example.org\nSubject: Your mailbox is over quota\n\nPlease make room.\n' > "$MSG/notice"
}

teardown() {
	rm -rf "$MSG"
}

@test "virtdomains: the mailertable host part reaches the mailer as \$h" {
	run resolve alice@notices.example.org
	assert_output_has '$# lmtp_iq $@ example . org $: alice <'
}

@test "virtdomains: a notice reaches the over-quota mailbox of that domain's user only" {
	org=$(cyrus_count alice@example.org); net=$(cyrus_count alice@example.net)
	[ "$(cyrus_usage alice@example.org)" -ge 10 ]
	run sm -odi -f quota-warn@example.org alice@notices.example.org < "$MSG/notice"
	assert_status 0
	[ "$(sm_queued)" -eq 0 ] || { sm -bp; false; }
	[ "$(cyrus_count alice@example.org)" -eq $((org + 1)) ]
	[ "$(cyrus_count alice@example.net)" -eq "$net" ]
}

@test "virtdomains: the same local part in another domain is another mailbox" {
	net=$(cyrus_count alice@example.net)
	run sm -odi -f quota-warn@example.org alice@notices.example.net < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count alice@example.net)" -eq $((net + 1)) ]
	grep -q '^Subject: Your mailbox is over quota' "$(cyrus_newest alice@example.net)"
}
