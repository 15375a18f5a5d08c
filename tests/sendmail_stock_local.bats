#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sendmail_stock.bats's trust matrix with lmtp_iq as the local mailer:
# Debian's sendmail.mc and access file, the documented lines with
# define(`confLOCAL_MAILER', `lmtp_iq'), SMTP AUTH for every user.
# Every local delivery goes through lmtp-iq here, so a forged notice
# sender to any local user (FRIEND ones included) must be refused.
# alice is over quota.

load helpers/common
load helpers/cyrus
load helpers/sendmail

setup_file() {
	SM_LOCAL_MAILER=lmtp_iq
	sm_suite_start || return 0
	sm_alias abuse alice
	sm_sasl_users
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

@test "stock local: an outsider forging the notice sender is refused at RCPT for every local user, FRIEND ones included" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<abuse@localhost>' \
		'RCPT TO:<postmaster@localhost>' 'RCPT TO:<alice@localhost>' 'QUIT'
	[ "$(grep -c '^550 5.7.1 <[^>]*>... Notice sender: only local clients' <<< "$output")" -eq 3 ]
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq "$a" ]
}

@test "stock local: an ordinary user who authenticates cannot use the notice sender" {
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' "$(auth_plain bob bob-secret)" \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@localhost>' \
		'RCPT TO:<abuse@localhost>' 'QUIT'
	assert_output_has '235 2.0.0 OK Authenticated'
	[ "$(grep -c '^550 5.7.1 <[^>]*>... Notice sender: only local clients' <<< "$output")" -eq 2 ]
	[ "$(sm_queued)" -eq 0 ]
}

@test "stock local: a host Sendmail relays for (Connect: RELAY), not listed for notices, cannot use the notice sender" {
	run smtp_from "$SM_RELAYHOST" 'EHLO frontmx.test' \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@localhost>' \
		'RCPT TO:<postmaster@localhost>' 'RSET' \
		'MAIL FROM:<someone@capture.test>' 'RCPT TO:<someone@elsewhere.example>' 'QUIT'
	[ "$(grep -c '^550 5.7.1 <[^>]*>... Notice sender: only local clients' <<< "$output")" -eq 2 ]
	assert_output_has '250 2.1.5 <someone@elsewhere.example>... Recipient ok'
	[ "$(sm_queued)" -eq 0 ]
}

@test "stock local: the login listed for the notice sender stores a notice past the quota; bob's own mail meets it" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' "$(auth_plain quotajob job-secret)" \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@localhost>' \
		'DATA' "$(smtp_message 'quota notice')" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' "$(auth_plain bob bob-secret)" \
		'MAIL FROM:<bob@capture.test>' 'RCPT TO:<alice@localhost>' \
		'DATA' "$(smtp_message 'from bob')" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	[ "$(sm_queued)" -eq 1 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
}

@test "stock local: outside mail to postmaster is accepted (RFC 5321)" {
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<someone@capture.test>' 'RCPT TO:<postmaster@localhost>' 'QUIT'
	assert_output_has '250 2.1.5 <postmaster@localhost>... Recipient ok'
}
