#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# "Why not Cyrus's own deliver -q?" - the README's answer, measured here
# against the same throwaway Cyrus (and the fake server for a server
# without IGNOREQUOTA), beside lmtp-iq on the same input: what deliver
# exits with when Cyrus is down, what it does when IGNOREQUOTA is not
# offered, and whether a body can smuggle a second message past the
# quota.  These are facts about Debian's Cyrus, not lmtp-iq's rules: a
# Cyrus that changes them fails this suite, and the README must change.

load helpers/common
load helpers/cyrus
load helpers/fake
load helpers/smuggle

setup_file() {
	suite_needs_root "deliver runs as cyrus against a throwaway Cyrus" || return 0
	need_package cyrus-imapd /usr/lib/cyrus/bin/deliver || return 0
	cyrus_suite_start
	cyrus_fill bob
	export CYRUS_DIR CYRUS_SOCK
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	cyrus_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	chmod 755 "$MSG"
	printf 'From: quota-warn@example.org\nSubject: notice\n\nYour mailbox is full.\n' > "$MSG/notice"
	chmod 644 "$MSG/notice"
}

teardown() {
	fake_teardown
	rm -rf "$MSG"
}

# deliver_with SOCKET ARGS...: Cyrus's deliver, as cyrus, with the test
# Cyrus's imapd.conf but its LMTP socket at SOCKET; stdin is the message.
deliver_with() {
	local sock=$1
	shift
	sed "s|^lmtpsocket: .*|lmtpsocket: $sock|" "$CYRUS_DIR/imapd.conf" > "$MSG/imapd.conf"
	chmod 644 "$MSG/imapd.conf"
	runuser -u cyrus -- "$CYRUS_LIB/deliver" -C "$MSG/imapd.conf" "$@"
}

@test "why not deliver: with Cyrus down it exits 78 (EX_CONFIG: Sendmail bounces the notice); lmtp-iq exits 75 (queued)" {
	run deliver_with /nonexistent/lmtp -q -r quota-warn@example.org alice < "$MSG/notice"
	assert_status 78
	conf_write "$MSG/conf" notice_senders quota-warn@example.org syslog no
	LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER=unix:/nonexistent/lmtp run lmtp_iq -f quota-warn@example.org -- alice < "$MSG/notice"
	assert_status 75
}

@test "why not deliver: a server that does not offer IGNOREQUOTA gets RCPT without it, and deliver says 0; lmtp-iq refuses to send (75) under its default policy" {
	{ echo 'send 220 fake.test LMTP ready'
	  echo 'expect LHLO *'
	  echo 'send 250-fake.test'; echo 'send 250-PIPELINING'; echo 'send 250 ENHANCEDSTATUSCODES'
	  echo 'expect RSET'; echo 'send 250 2.0.0 ok'	# deliver's way
	  echo 'expect MAIL FROM:*'; echo 'send 250 2.1.0 ok'
	  echo 'expect RCPT TO:*'; echo 'send 250 2.1.5 ok'
	  echo 'expect DATA'; echo 'send 354 go'
	  echo 'data'; echo 'send 250 2.1.5 stored'
	  echo 'expect QUIT'; echo 'send 221 bye'; } | fake_start
	chmod 755 "$FAKE_DIR"; chmod 777 "$FAKE_DIR/sock"
	run deliver_with "$FAKE_DIR/sock" -q -r quota-warn@example.org alice < "$MSG/notice"
	assert_status 0
	fake_finish
	run grep -a '^RCPT TO:' "$FAKE_DIR/record"
	assert_output_lacks 'IGNOREQUOTA'
	assert_output_has 'RCPT TO:<alice'
	# lmtp-iq (ignorequota = require): nothing sent, the notice waits.
	{ lhlo_offering PIPELINING ENHANCEDSTATUSCODES; fake_bye; } | fake_start
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'IGNOREQUOTA'
	fake_finish
	run ! grep -aq '^RCPT' "$FAKE_DIR/record"
}

@test "why not deliver: a body with a lone CR before the dot, or an 8189-byte line and a dot, stores a second message in another over-quota mailbox; through lmtp-iq it does not" {
	for form in cr long; do
		b=$(cyrus_count bob) a=$(cyrus_count alice)
		smuggle_message "$form" alice@example.org > "$MSG/m"
		chmod 644 "$MSG/m"
		run deliver_with "$CYRUS_SOCK" -q -r outsider@capture.test alice < "$MSG/m"
		assert_status 0
		[ "$(cyrus_count alice)" -eq $((a + 1)) ]
		# bob is over quota too: the smuggled transaction carried
		# IGNOREQUOTA on its own.
		[ "$(cyrus_count bob)" -eq $((b + 1)) ] || { echo "$form: not smuggled"; false; }
		grep -q '^smuggled past the quota' "$(cyrus_newest bob)"
	done
	conf_write "$MSG/conf" notice_senders quota-warn@example.org syslog no server "unix:$CYRUS_SOCK"
	for form in cr long; do
		b=$(cyrus_count bob)
		smuggle_message "$form" alice@example.org > "$MSG/m"
		LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER= run lmtp_iq -f outsider@capture.test -q off -- alice < "$MSG/m"
		[ "$(cyrus_count bob)" -eq "$b" ]
	done
}
