#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Who may use the notice route, in the configuration Debian sites run:
# sendmail.cf built from the sendmail.mc and the access file Debian
# ships (FEATURE(delay_checks, friend): Spam:postmaster@ and
# Spam:abuse@ are FRIEND recipients; access_db, greet_pause,
# conncontrol, ratecontrol), plus the lines docs/sendmail.md gives and
# SMTP AUTH for every user as Debian's sasl.m4 turns it on (sasldb:
# bob, an ordinary user; quotajob, the login listed for the notice
# sender notices@capture.test).  The daemon is met from outside
# addresses (tests/helpers/sendmail.bash); alice is over quota; abuse@
# is an alias into the notice domain.  Each outsider class is refused or
# meets the quota; only the listed login and local submission get past
# it; mail to postmaster is accepted.

load helpers/common
load helpers/cyrus
load helpers/sendmail

setup_file() {
	sm_suite_start || return 0
	sm_alias abuse alice@notices.example.test
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

@test "stock: the .cf is Debian's: delay_checks with friend, the FRIEND entries, AUTH offered" {
	grep -q "^FEATURE(\`delay_checks', \`friend', \`n')dnl" "$SM_DIR/test.mc"
	grep -q '^Spam:abuse@[[:space:]]*FRIEND' "$SM_DIR/access"
	grep -q '^Spam:postmaster@[[:space:]]*FRIEND' "$SM_DIR/access"
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' 'QUIT'
	assert_output_has '250-AUTH'
	assert_output_has 'PLAIN'
}

@test "stock: an outsider forging the notice sender is refused at RCPT, FRIEND recipients (abuse@ into the notice domain, postmaster@) included" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<abuse@localhost>' \
		'RCPT TO:<postmaster@localhost>' 'RCPT TO:<alice@localhost>' \
		'RCPT TO:<alice@notices.example.test>' 'QUIT'
	# delay_checks: the sender is judged at RCPT, for every recipient.
	[ "$(grep -c '^550 5.7.1 <[^>]*>... Notice sender: only local clients' <<< "$output")" -eq 4 ]
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq "$a" ]
}

@test "stock: an ordinary user who authenticates cannot use the notice sender, nor send to the notice domain" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' "$(auth_plain bob bob-secret)" \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@localhost>' \
		'RCPT TO:<alice@notices.example.test>' 'RCPT TO:<abuse@localhost>' 'RSET' \
		'MAIL FROM:<bob@capture.test>' 'RCPT TO:<alice@notices.example.test>' 'QUIT'
	assert_output_has '235 2.0.0 OK Authenticated'
	# Sendmail's relay check says RELAY for an authenticated client; the
	# feature's checks come first all the same.
	[ "$(grep -c '^550 5.7.1 <[^>]*>... Notice sender: only local clients' <<< "$output")" -eq 3 ]
	assert_output_has '550 5.7.1 <alice@notices.example.test>... Notice address'
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq "$a" ]
}

@test "stock: a host Sendmail relays for (Connect: RELAY), not listed for notices, cannot use the notice sender nor the notice domain" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_RELAYHOST" 'EHLO frontmx.test' \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<abuse@localhost>' \
		'RCPT TO:<alice@notices.example.test>' 'RSET' \
		'MAIL FROM:<someone@capture.test>' 'RCPT TO:<alice@notices.example.test>' \
		'RCPT TO:<someone@elsewhere.example>' 'QUIT'
	[ "$(grep -c '^550 5.7.1 <[^>]*>... Notice sender: only local clients' <<< "$output")" -eq 2 ]
	assert_output_has '550 5.7.1 <alice@notices.example.test>... Notice address'
	# It is a relaying host all the same.
	assert_output_has '250 2.1.5 <someone@elsewhere.example>... Recipient ok'
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq "$a" ]
}

@test "stock: the login listed for the notice sender sends a notice past the quota" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' "$(auth_plain quotajob job-secret)" \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@notices.example.test>' \
		'DATA' "$(smtp_message 'quota notice')" 'QUIT'
	assert_output_has '235 2.0.0 OK Authenticated'
	assert_output_has '250 2.1.5 <alice@notices.example.test>... Recipient ok'
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	grep -q '^Subject: quota notice' "$(cyrus_newest alice)"
}

@test "stock: the listed login with another sender is refused for the notice domain" {
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' "$(auth_plain quotajob job-secret)" \
		'MAIL FROM:<bob@capture.test>' 'RCPT TO:<alice@notices.example.test>' 'QUIT'
	assert_output_has '550 5.7.1 <alice@notices.example.test>... Notice address'
}

@test "stock: outside mail to postmaster and abuse is accepted (RFC 5321), and meets the quota like any mail" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<someone@capture.test>' 'RCPT TO:<postmaster@localhost>' \
		'RCPT TO:<abuse@localhost>' 'DATA' "$(smtp_message 'to the postmaster')" 'QUIT'
	[ "$(grep -c '^250 2.1.5 <[a-z]*@localhost>... Recipient ok' <<< "$output")" -eq 2 ]
	assert_output_has 'Message accepted for delivery'
	sm_queue_run
	# postmaster's copy went on to capture.test; abuse@'s (alice, over
	# quota) waits: ordinary mail through the notice route.
	grep -q '^Subject: to the postmaster' "$SM_DIR/captured"
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ "$(sm_queued)" -eq 1 ]
}

@test "stock: a listed trusted host may send notices; local submission may (Sendmail cannot restrict -f)" {
	a=$(cyrus_count alice)
	run smtp_from "$SM_TRUSTED" 'EHLO trusted.test' \
		'MAIL FROM:<notices@capture.test>' 'RCPT TO:<alice@notices.example.test>' \
		'DATA' "$(smtp_message 'from the trusted host')" 'QUIT'
	assert_output_has 'Message accepted for delivery'
	sm -odq -f notices@capture.test alice@notices.example.test < "$MSG/notice"
	sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 2)) ]
}
