#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A real Dovecot LMTP server, which does not advertise IGNOREQUOTA and
# refuses the keyword permanently: the policies must keep that safe.

load helpers/common
load helpers/cyrus
load helpers/dovecot

setup_file() {
	suite_needs_root "Dovecot runs as its own users from a temp dir" || return 0
	dovecot_start
	export DOVECOT_DIR DOVECOT_PID DOVECOT_PORT
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	dovecot_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	LMTPIQ_CONF=$MSG/conf
	printf 'Subject: quota notice\n\nYour mailbox is over quota.\n' > "$MSG/notice"
	conf_write "$MSG/conf" server "127.0.0.1:$DOVECOT_PORT" syslog no notice_senders "$NOTICE_SENDER"
}

teardown() {
	rm -rf "$MSG"
}

@test "dovecot: -q require delivers nothing and exits 75" {
	before=$(dovecot_count alice)
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'does not advertise IGNOREQUOTA'
	assert_output_lacks '>>> MAIL'
	[ "$(dovecot_count alice)" -eq "$before" ]
}

@test "dovecot: -q auto delivers without the keyword" {
	before=$(dovecot_count alice)
	run lmtp_iq -v -q auto alice < "$MSG/notice"
	assert_status 0
	assert_output_has '>>> RCPT TO:<alice>'
	assert_output_lacks 'IGNOREQUOTA'
	[ "$(dovecot_count alice)" -eq $((before + 1)) ]
}

@test "dovecot: -q force meets the permanent 555 5.5.4, which is 76 with the text on stderr" {
	before=$(dovecot_count alice)
	run lmtp_iq -q force alice < "$MSG/notice"
	assert_status 76
	assert_output_has 'lmtp-iq: alice: 555 5.5.4 Unsupported parameters'
	[ "$(dovecot_count alice)" -eq "$before" ]
}

@test "dovecot: an unknown user is 67" {
	run lmtp_iq -q auto nosuch < "$MSG/notice"
	assert_status 67
	assert_output_has "550 5.1.1 <nosuch> User doesn't exist"
}
