#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# docs/examples/quota-warn, the notice job, against a throwaway Cyrus
# (its own quota report) and the test Sendmail with the notice route:
# the notices land in the over-quota mailboxes, once per interval.

load helpers/common
load helpers/cyrus
load helpers/sendmail

setup_file() {
	suite_needs_root "Cyrus and Sendmail run from temp dirs" || return 0
	cyrus_suite_start
	SM_NOTICE_SENDERS=quota-warn@example.test
	sendmail_setup
	cyrus_fill carol
	# bob has mail, but is far below the threshold.
	printf 'Subject: hi\r\n\r\nhello\r\n' > "$SM_DIR/small"
	"$TOOLS/rawlmtp" -s "unix:$CYRUS_SOCK" -f "$SM_DIR/small" bob
	# What the job runs: Cyrus's quota report, and this Sendmail.
	printf '#!/bin/sh\nexec runuser -u cyrus -- %s/quota -C %s/imapd.conf\n' \
		"$CYRUS_LIB" "$CYRUS_DIR" > "$SM_DIR/bin/quota"
	printf '#!/bin/sh\nexec unshare -m sh -c '"'"'mount --bind "$0" /etc/hosts && exec "$@"'"'"' %s %s -C %s "$@"\n' \
		"$SM_DIR/hosts" "$SM_BIN" "$SM_DIR/test.cf" > "$SM_DIR/bin/sendmail"
	chmod 755 "$SM_DIR/bin/quota" "$SM_DIR/bin/sendmail"
	export SM_DIR
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	suite_skip_check
}

warn() {
	"$TOP/docs/examples/quota-warn" -d notices.example.test -f quota-warn@example.test \
		-s "$SM_DIR/state" -Q "$SM_DIR/bin/quota" -S "$SM_DIR/bin/sendmail" "$@"
}

@test "quota-warn: a dry run names the over-quota users and sends nothing" {
	a=$(cyrus_count alice)
	run warn -n
	assert_status 0
	assert_output_has 'would send to alice@notices.example.test: alice uses 12 of 10 KiB (120%)'
	assert_output_has 'would send to carol@notices.example.test'
	assert_output_lacks 'bob'
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ ! -e "$SM_DIR/state" ]
}

@test "quota-warn: the notices are stored in the over-quota mailboxes, with the figures" {
	a=$(cyrus_count alice); c=$(cyrus_count carol); b=$(cyrus_count bob)
	run warn
	assert_status 0
	assert_output_has 'sent to alice@notices.example.test'
	assert_output_has 'sent to carol@notices.example.test'
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(cyrus_count bob)" -eq "$b" ]
	f=$(cyrus_newest alice)
	grep -q '^Subject: Your mailbox is 1[0-9][0-9]% full' "$f"
	grep -q '^Return-Path: <quota-warn@example.test>' "$f"
	grep -q 'your mailbox uses 12 KiB of its 10 KiB quota' "$f"
	[ "$(sm_queued)" -eq 0 ]
}

@test "quota-warn: no second notice to the same user within the interval, another after it" {
	a=$(cyrus_count alice)
	run warn
	assert_status 0
	assert_output_lacks 'sent to alice'
	[ "$(cyrus_count alice)" -eq "$a" ]
	run warn -i 0
	assert_output_has 'sent to alice@notices.example.test'
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
}
