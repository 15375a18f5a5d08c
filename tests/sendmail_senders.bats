#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The notice sender check compares the sender the mailer will be given,
# not only the one the client wrote: with FEATURE(masquerade_envelope),
# FEATURE(always_add_domain) and FEATURE(accept_unqualified_senders)
# Sendmail rewrites an outside sender (qualifies it, masquerades a local
# host) on its way to lmtp_iq, and a listed notice sender must not be
# reachable that way.  (Without always_add_domain an unqualified sender
# reaches the mailer bare, which no notice_senders entry matches.)
# Sendmail -bt only (ruleset check_rcpt as an outside client meets it:
# Debian's delay_checks judges the sender there, for a local recipient;
# and the lmtp_iq mailer's sender rewriting); no Cyrus is needed.

load helpers/common
load helpers/sendmail

setup_file() {
	suite_needs_root "Sendmail -bt runs in a private mount namespace" || return 0
	CYRUS_SOCK=/nonexistent
	SM_NOTICE_SENDERS=quota-warn@example.org
	LINES_DIR=$(make_tmp senders)
	# genericstable: a site's map that rewrites a sender of another
	# domain into the notice sender on the way out.
	printf 'notify@example.net\tquota-warn@example.org\n' > "$LINES_DIR/genericstable"
	makemap hash "$LINES_DIR/genericstable" < "$LINES_DIR/genericstable"
	printf '%s\n' "FEATURE(\`accept_unqualified_senders')dnl" \
		"FEATURE(\`always_add_domain')dnl" "MASQUERADE_AS(\`example.org')dnl" \
		"FEATURE(\`masquerade_envelope')dnl" \
		"FEATURE(\`genericstable', \`hash $LINES_DIR/genericstable')dnl" \
		"GENERICS_DOMAIN(\`example.net')dnl" > "$LINES_DIR/mc"
	SM_MC_LINES=$LINES_DIR/mc
	sendmail_setup
	FQDN=$(hostname).example.test
	export SM_DIR FQDN LINES_DIR
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	sendmail_teardown
	rm -rf "$LINES_DIR"
}

setup() {
	suite_skip_check
}

# What the lmtp_iq mailer is given as the envelope sender for ADDR.
mailer_sender() {
	printf '/tryflags ES\n/try lmtp_iq %s\n' "$1" | sm -bt 2>/dev/null |
		sed -n 's/^final *returns: //p' | tail -1 | tr -d ' '
}

# check_rcpt for a local recipient, the sender ADDR (as the client
# wrote it, without <>) from an outside client (203.0.113.9).
outsider_mail() {
	check_rcpt_as bob@localhost client_addr=203.0.113.9 f="$1"
}

# The same from the command line (no client address).
local_mail() {
	check_rcpt_as bob@localhost f="$1"
}

refused='$# error $@ 5 . 7 . 1 $: "550 Notice sender: only local clients, listed hosts and the logins listed for it may use it"'

@test "senders: the mailer is given the masqueraded, qualified sender (what makes the check below matter)" {
	[ "$(mailer_sender "quota-warn@$FQDN")" = quota-warn@example.org ]
	[ "$(mailer_sender quota-warn)" = quota-warn@example.org ]
	[ "$(mailer_sender quota-warn@localhost)" = quota-warn@example.org ]
}

@test "senders: an outsider's sender that masquerading turns into a notice sender is refused" {
	run outsider_mail "quota-warn@$FQDN"
	assert_output_has "$refused"
	run outsider_mail 'quota-warn@localhost'
	assert_output_has "$refused"
}

@test "senders: an outsider's unqualified sender that qualifying turns into a notice sender is refused" {
	run outsider_mail 'quota-warn'
	assert_output_has "$refused"
}

@test "senders: the listed sender as written is refused; other local and remote senders are not" {
	run outsider_mail 'quota-warn@example.org'
	assert_output_has "$refused"
	run outsider_mail "someone@$FQDN"
	assert_output_has 'check_rcpt'
	assert_output_lacks 'Notice sender'
	run outsider_mail 'someone'
	assert_output_has 'check_rcpt'
	assert_output_lacks 'Notice sender'
	run outsider_mail 'quota-warn@elsewhere.test'
	assert_output_has 'check_rcpt'
	assert_output_lacks 'Notice sender'
}

@test "senders: an outsider's sender that the genericstable rewrites into a notice sender is refused" {
	[ "$(mailer_sender notify@example.net)" = quota-warn@example.org ]
	run outsider_mail 'notify@example.net'
	assert_output_has "$refused"
	run outsider_mail 'other@example.net'
	assert_output_has 'check_rcpt'
	assert_output_lacks 'Notice sender'
}

@test "senders: a local submission may still use the notice sender in any of its forms" {
	for a in quota-warn "quota-warn@$FQDN" quota-warn@example.org; do
		run local_mail "$a"
		assert_output_has 'check_rcpt'
		assert_output_lacks 'Notice sender'
	done
}
