#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# No leaks and no memory errors on the main paths (see memcheck_prefix):
# a finding fails the run with 99.  The AUTH paths are in auth.bats.

load helpers/common
load helpers/fake

# LMTP-mode clients here send from these (the fake config lists them).
FAKE_NOTICE_SENDERS="quota-warn@example.org n@example.test n@x a@b"

setup() {
	MSG=$(make_tmp msg)
	printf 'Subject: notice\n\n.body\n' > "$MSG/notice"
	memcheck_prefix
}

teardown() {
	fake_teardown
	rm -rf "$MSG"
}

# The mailer under the checker, from the notice sender; checked_quiet
# the same with its stderr away (LMTP mode's replies alone in $output).
checked() {
	LMTPIQ_UNDER="${CHECK[*]}" lmtp_iq "$@"
}

checked_quiet() {
	checked "$@" 2>/dev/null
}

@test "memcheck: a delivery to two recipients, one refused" {
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 550-no'; echo 'send 550 5.1.1 no'
	  echo 'send 354 go'; echo 'data'; echo 'send 250 2.1.5 ok'
	  fake_bye; } | fake_start
	run checked -v alice bob < "$MSG/notice"
	assert_status 67
	fake_finish
}

@test "memcheck: policy require refusal, a timeout, and -n" {
	{ lhlo_offering PIPELINING; fake_bye
	  echo accept; echo 'send 220 fake'; echo 'stall'
	  echo accept; lhlo_offering IGNOREQUOTA AUTH PLAIN
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	run checked alice < "$MSG/notice"
	assert_status 75
	run checked -t 1 alice < "$MSG/notice"
	assert_status 75
	run checked -n
	assert_status 0
	fake_finish
}

@test "memcheck: bad config, bad envelope, no server" {
	conf_write "$MSG/c" bogus 1 notice_senders "$NOTICE_SENDER"
	LMTPIQ_CONF=$MSG/c LMTPIQ_SERVER= run checked alice < "$MSG/notice"
	assert_status 75
	LMTPIQ_CONF=$BASE_CONF LMTPIQ_SERVER= run checked $'al\nice' < "$MSG/notice"
	assert_status 65
	LMTPIQ_CONF=$BASE_CONF LMTPIQ_SERVER=unix:/nonexistent run checked alice < "$MSG/notice"
	assert_status 75
}

@test "memcheck: a sample of the fault matrix (every 9th case) is clean" {
	D=$(make_tmp faults)
	# The fault matrix runs a program with its own arguments: the
	# binary itself, under the checker.
	printf '#!/bin/sh\nexec %s %s "$@"\n' "${CHECK[*]}" "$LMTP_IQ" > "$D/wrap"
	chmod 755 "$D/wrap"
	run "$TOOLS/faultmatrix" -v -e 9 "$D/wrap" "$D"
	rm -rf "$D"
	echo "$output" | grep -v '^ok '
	assert_status 0
	assert_output_has '30 cases, 0 failed'
}

@test "memcheck: LMTP mode, two transactions (one refused at DATA, one relayed) and a client mistake" {
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<n@x>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect RCPT TO:<bob> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 550 5.1.1 no'
	  echo 'send 354 go'; echo 'data'; echo 'send 250 2.1.5 ok'
	  echo 'expect RSET'; echo 'close'
	  echo 'accept'; lhlo_offering PIPELINING ENHANCEDSTATUSCODES
	  fake_bye; } | fake_start
	printf 'LHLO s\r\nMAIL FROM:<n@x>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n..a\r\n.\r\nBOGUS\r\nMAIL FROM:<n@x>\r\nRCPT TO:<carol>\r\nDATA\r\nQUIT\r\n' > "$MSG/in"
	run checked -v -l < "$MSG/in"
	assert_status 0
	assert_output_has '550 5.1.1 no'
	assert_output_has '451 4.3.5'
	fake_finish
}

@test "memcheck: LMTP mode, the client leaves in the middle of the body" {
	{ lhlo_offering PIPELINING IGNOREQUOTA
	  echo 'expect MAIL FROM:<n@x>'; echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'; } | fake_start
	printf 'LHLO s\r\nMAIL FROM:<n@x>\r\nRCPT TO:<alice>\r\nDATA\r\npart' > "$MSG/in"
	run checked -l < "$MSG/in"
	assert_status 75
	fake_finish
}

@test "memcheck: SASL refusals (an early 235, a challenge that is not base64) and STARTTLS refused" {
	printf 'x' > "$MSG/pw"
	chmod 600 "$MSG/pw"
	{ lhlo_offering PIPELINING 'AUTH SCRAM-SHA-256'
	  echo 'expect AUTH SCRAM-SHA-256 *'; echo 'send 235 2.7.0 ok'
	  fake_bye
	  echo accept; lhlo_offering PIPELINING 'AUTH LOGIN'
	  echo 'expect AUTH LOGIN'; echo 'send 334 !!!'
	  echo 'expect \*'; echo 'send 501 cancelled'
	  fake_bye; } | fake_start
	fake_conf auth_user u
	fake_conf auth_password_file "$MSG/pw"
	run checked alice < "$MSG/notice"
	assert_status 75
	run checked alice < "$MSG/notice"
	assert_status 75
	fake_finish
}

@test "memcheck: a refusal notice, from argv mode's child and on LMTP mode's kept session" {
	printf 'Subject: Full\n\n%%{sender} %%{subject}\n' > "$MSG/template"
	mkdir -m 700 "$MSG/state"
	notice_script() {
		echo 'expect MAIL FROM:<quota-notice@example.org>'
		echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
		echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'; echo 'data'
		echo 'send 250 2.1.5 stored'
	}
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<bob@example.org>'; echo 'expect RCPT TO:<alice>'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 452 4.2.2 Over quota'; echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 ok'; fake_bye
	  echo accept; lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  notice_script; fake_bye; } | fake_start
	fake_conf refusal_notice yes
	fake_conf refusal_notice_from quota-notice@example.org
	fake_conf notice_senders q@example.org
	fake_conf refusal_notice_template "$MSG/template"
	fake_conf refusal_notice_dir "$MSG/state"
	# valgrind follows the child; each process writes its own log.
	[ "${#CHECK[@]}" -eq 0 ] || CHECK+=("--log-file=$MSG/vg.%p")
	run checked -f bob@example.org alice < "$MSG/notice"
	assert_status 75
	fake_finish
	[ -s "$MSG/state/u.alice" ]
	rm -f "$MSG/state/u.alice"
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo 'expect MAIL FROM:<bob@example.org>'; echo 'expect RCPT TO:<alice>'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 452 4.2.2 Over quota'; echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 ok'
	  echo 'expect RSET'; echo 'send 250 ok'; notice_script
	  fake_bye; } > "$MSG/script"
	conf=$(cat "$FAKE_DIR/conf")
	fake_teardown
	fake_start < "$MSG/script"
	printf '%s\n' "$conf" > "$FAKE_DIR/conf"
	printf 'LHLO s\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice>\r\nDATA\r\nSubject: x\r\n\r\ny\r\n.\r\nQUIT\r\n' > "$MSG/in"
	run checked_quiet -l < "$MSG/in"
	assert_status 0
	fake_finish
	[ -s "$MSG/state/u.alice" ]
	# Five processes: argv mode, its notice child and the child that
	# composes the notice; LMTP mode and the child that composes its.
	[ "${#CHECK[@]}" -eq 0 ] || [ "$(find "$MSG" -maxdepth 1 -name 'vg.*' | wc -l)" -eq 5 ]
	for f in "$MSG"/vg.*; do
		[ -e "$f" ] || continue
		if [ -s "$f" ]; then cat "$f"; false; fi
	done
}
