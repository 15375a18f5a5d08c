#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# make demo tells the story and leaves nothing behind.

load helpers/common

@test "demo: shows the refusal and the notice delivered, then stops Cyrus and cleans up" {
	need_root "the demo starts Cyrus as its own user"
	run "$TOP/tests/demo"
	assert_status 0
	assert_output_has '<<< 452 4.2.2 Over quota'
	assert_output_has 'exit status 75 (EX_TEMPFAIL)'
	assert_output_has '>>> RCPT TO:<alice> IGNOREQUOTA'
	assert_output_has 'exit status 0 (EX_OK): delivered.'
	assert_output_has 'Subject: Your mailbox is over quota'
	# Usage above 100% of the quota.
	[[ "$output" =~ STORAGE\ user/alice ]]
	pct=$(awk 'NF > 1 && $(NF-1) == "STORAGE" { p = $2 } END { print p }' <<<"$output")
	[ "$pct" -gt 100 ]
	# The Sendmail part: ordinary mail held with Cyrus's 452, the notice
	# routed to lmtp_iq and stored, the log lines that show it.
	assert_output_has '(Deferred: 452 4.2.2 Over quota'
	assert_output_has 'queued messages left: 1 (the ordinary one)'
	assert_output_has 'Return-Path: <quota-warn@example.test>  Subject: Your mailbox is over quota'
	assert_output_has 'mailer=cyrusv2, relay=localhost, dsn=4.2.2, reply=452 4.2.2 Over quota, stat=Deferred'
	assert_output_has 'to=alice@notices.example.test, mailer=lmtp_iq, relay=localhost, dsn=2.0.0, stat=Sent'
	# lmtp-iq's line starts with Sendmail's queue id (A= passes $i).
	qid=$(sed -n 's/.*sendmail\[[0-9]*\]: \([0-9A-Za-z]*\): to=alice@notices.example.test, mailer=lmtp_iq.*/\1/p' <<<"$output")
	[ -n "$qid" ]
	re="lmtp-iq\\[[0-9]+\\]: $qid: to=<alice>, from=<quota-warn@example.test>, relay=unix:[^,]*, ignorequota=yes, dsn=2.1.5, sessionid=<[^>]*>, stat=Sent"
	[[ "$output" =~ $re ]]
	pid=$(sed -n 's/.*(pid \([0-9]*\))\./\1/p' <<<"$output")
	dir=$(sed -n 's|^lmtpd is listening on \(/tmp/lmtpiq-cyrus\.[^/]*\)/.*|\1|p' <<<"$output")
	[ -n "$pid" ] && [ -n "$dir" ]
	run ! kill -0 "$pid"
	[ ! -e "$dir" ]
}
