#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A message body cannot end its own LMTP body early in a real Cyrus and
# smuggle a second transaction with IGNOREQUOTA (tests/helpers/smuggle.bash
# has the two forms).  Argv mode and LMTP mode straight into Cyrus, and
# an outside SMTP client through a real Sendmail daemon and an alias into
# the notice domain.  Each time: bob (over quota) gets nothing, the
# recipient's copy is stored once and whole, and the verdict is 0 / 250.
# Each way has its own recipient (carol, dave, erin): two of these
# messages fit in a 10 KiB quota, three do not.

load helpers/common
load helpers/cyrus
load helpers/sendmail
load helpers/smuggle

setup_file() {
	sm_suite_start || return 0
	cyrus_fill bob
	sm_alias smug erin@notices.example.test
	sm_daemon_start
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	conf_write "$MSG/conf" lhlo_name client.test syslog no server "unix:$CYRUS_SOCK" notice_senders "$NOTICE_SENDER"
	LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER=
	BOB=$(cyrus_count bob)
	rm -f "$SM_DIR"/mqueue/*
}

teardown() {
	rm -rf "$MSG"
}

# Nothing reached bob; USER has one more message, the whole one.
assert_not_smuggled() {	# assert_not_smuggled USER COUNT_BEFORE FORM
	[ "$(cyrus_count bob)" -eq "$BOB" ] || { echo "smuggled into bob"; return 1; }
	[ "$(cyrus_count "$1")" -eq $(($2 + 1)) ] || { echo "$1: $(cyrus_count "$1"), was $2"; return 1; }
	assert_stored_whole "$(cyrus_newest "$1")" "$3"
}

argv_mode() {	# argv_mode FORM
	local before
	before=$(cyrus_count carol)
	smuggle_message "$1" carol > "$MSG/in"
	run lmtp_iq -f outsider@capture.test -- carol < "$MSG/in"
	assert_status 0
	[ -z "$output" ]
	assert_not_smuggled carol "$before" "$1"
}

lmtp_mode() {	# lmtp_mode FORM: Sendmail's side of the dialogue from a file
	local before
	before=$(cyrus_count dave)
	{ printf 'LHLO sendmail.test\r\nMAIL FROM:<outsider@capture.test>\r\n'
	  printf 'RCPT TO:<dave>\r\nDATA\r\n'
	  smuggle_message "$1" dave
	  printf '.\r\nQUIT\r\n'; } > "$MSG/in"
	run lmtp_iq -l < "$MSG/in"
	assert_status 0
	# After DATA's 354, carol's own verdict: Cyrus's 250, then QUIT's.
	[[ "$(tr -d '\r' <<< "$output" | sed -n '/^354 /{n;p}')" == '250 2.1.5 '* ]]
	[ "$(tr -d '\r' <<< "$output" | tail -1 | cut -c1-4)" = '221 ' ]
	assert_not_smuggled dave "$before" "$1"
}

@test "smuggle: argv mode, a line of 8189 bytes then '.': nothing reaches bob, the copy is whole, exit 0" {
	argv_mode long
}

@test "smuggle: argv mode, the line CR '.': nothing reaches bob, the copy is whole, exit 0" {
	argv_mode cr
}

@test "smuggle: LMTP mode, a line of 8189 bytes then '.': nothing reaches bob, the copy is whole, 250" {
	lmtp_mode long
}

@test "smuggle: LMTP mode, the line CR '.': nothing reaches bob, the copy is whole, 250" {
	lmtp_mode cr
}

@test "smuggle: an outside SMTP client through a real Sendmail, an alias into the notice domain, the 8189-byte form: nothing reaches bob, the copy is whole" {
	before=$(cyrus_count erin)
	smuggle_through_sendmail
	assert_not_smuggled erin "$before" long
}

