#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The mailer against a real Cyrus lmtpd over its UNIX socket: quota,
# IGNOREQUOTA, unknown users, and the message exactly as Cyrus stored it.

load helpers/common
load helpers/cyrus

setup_file() {
	cyrus_suite_setup || return 0
}

teardown_file() {
	cyrus_suite_teardown
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	LMTPIQ_CONF=$MSG/conf
	conf_write "$MSG/conf" lhlo_name client.test syslog no server "unix:$CYRUS_SOCK" notice_senders "$NOTICE_SENDER"
	printf 'From: postmaster@example.test\nSubject: quota notice\n\nYour mailbox is over quota.\n' > "$MSG/notice"
}

teardown() {
	rm -rf "$MSG"
}

@test "cyrus: the over-quota mailbox refuses a plain delivery (-q off): 75, nothing stored" {
	before=$(cyrus_count alice)
	run lmtp_iq -q off alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'lmtp-iq: alice: 452 4.2.2 Over quota'
	[ "$(cyrus_count alice)" -eq "$before" ]
}

@test "cyrus: the over-quota mailbox accepts a notice by default: 0, stored" {
	before=$(cyrus_count alice)
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	[ -z "$output" ]
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
	grep -q 'Your mailbox is over quota' "$(cyrus_newest alice)"
}

@test "cyrus: an unknown user is 67 with the server's 5.1.1 text on stderr" {
	run lmtp_iq nosuchuser < "$MSG/notice"
	assert_status 67
	assert_output_has 'lmtp-iq: nosuchuser: 550 5.1.1 User unknown'
}

@test "cyrus: the stored message is the input byte for byte in CRLF form, dots and 8-bit included" {
	# Complete headers, so that Cyrus adds none of its own among them
	# (it adds Date and Message-ID when missing, and masks 8-bit bytes
	# in headers); the body may hold anything.
	hdr='From: postmaster@example.test\nTo: bob\nSubject: exact\nDate: Wed, 25 Nov 2026 06:00:00 +0000\nMessage-ID: <exact@example.test>\n'
	printf "$hdr"'\n.\n..leading dots\nCRLF line\r\n\xe9t\xe9 \xff\n.x\nno final newline' > "$MSG/exact"
	printf "${hdr//\\n/\\r\\n}"'\r\n.\r\n..leading dots\r\nCRLF line\r\n\xe9t\xe9 \xff\r\n.x\r\nno final newline\r\n' > "$MSG/expected"
	run lmtp_iq -f sender@example.test bob < "$MSG/exact"
	assert_status 0
	stored=$(cyrus_newest bob)
	size=$(stat -c %s "$MSG/expected")
	# Cyrus puts Return-Path and Received on top; the rest is ours.
	cmp <(tail -c "$size" "$stored") "$MSG/expected"
	head -1 "$stored" | grep -q '^Return-Path: <sender@example.test>'
	[ "$(grep -c '^Message-ID:' "$stored")" -eq 1 ]
}

@test "cyrus: several over-quota recipients in one call each get the notice once" {
	cyrus_fill carol
	cyrus_fill dave
	c=$(cyrus_count carol); d=$(cyrus_count dave)
	run lmtp_iq carol dave < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(cyrus_count dave)" -eq $((d + 1)) ]
}

@test "cyrus: a +detail recipient is delivered (to INBOX when the folder does not exist)" {
	before=$(cyrus_count alice)
	run lmtp_iq alice+notices < "$MSG/notice"
	assert_status 0
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
}

@test "README: its -n sample is what -n prints against Debian's Cyrus, line by line (the host's and version's words aside)" {
	doc_block README.md 'mailer/lmtp-iq -n -s' | sed '1d' > "$MSG/sample"
	[ "$(wc -l < "$MSG/sample")" -ge 9 ]
	run lmtp_iq -n
	assert_status 0
	# Host names, the Cyrus version and the socket path are this
	# machine's; every other byte must match.
	norm() {
		sed -E -e 's/^(greeting: 220 )[^ ]+ Cyrus LMTP [^ ]+/\1HOST Cyrus LMTP VERSION/' \
			-e 's|^server: unix:.*|server: unix:SOCKET|'
	}
	diff <(norm < "$MSG/sample") <(norm <<< "$output")
}

@test "cyrus: -n reports IGNOREQUOTA advertised and exits 0" {
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'capabilities: PIPELINING 8BITMIME SIZE IGNOREQUOTA ENHANCEDSTATUSCODES AUTH'
	assert_output_has 'ignorequota: advertised; policy require: RCPT will carry IGNOREQUOTA'
	assert_output_has 'mail from: 250 2.1.0 ok'
	assert_output_has 'result: a delivery can go ahead'
}
