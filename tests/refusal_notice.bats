#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The notice at the moment of refusal, against a real Sendmail (lmtp_iq
# as the local mailer, LMTP mode) and a real Cyrus: when Cyrus refuses
# over-quota alice, alice gets one notice past the quota per interval,
# naming the refused message's sender, size and Subject.  argv mode is
# run directly (two processes at once).  alice is over quota.

load helpers/common
load helpers/cyrus
load helpers/sendmail

NOTICE_FROM=quota-notice@capture.test

setup_file() {
	SM_LOCAL_MAILER=lmtp_iq
	sm_suite_start || return 0
	# The mailer runs as cyrus (U=cyrus:mail): its state directory.
	install -d -m 700 -o cyrus "$SM_DIR/refusal"
	install -m 644 "$TOP/docs/examples/refusal-notice" "$SM_DIR/refusal-notice"
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	rm -f "$SM_DIR"/mqueue/* "$SM_DIR"/refusal/*
	refusal_on
}

teardown() {
	rm -rf "$MSG"
}

refusal_on() {
	sm_conf refusal_notice yes
	sm_conf refusal_notice_from "$NOTICE_FROM"
	sm_conf refusal_notice_template "$SM_DIR/refusal-notice"
	sm_conf refusal_notice_dir "$SM_DIR/refusal"
	sm_conf refusal_notice_interval
}

# The notices in alice's mailbox (messages from the notice sender).
notices() {
	local dir
	dir=$(dirname "$(cyrus_newest alice)")
	grep -l "^Return-Path: <$NOTICE_FROM>" "$dir"/[0-9]*. 2>/dev/null | sort -t/ -k1,1 -V
}
notice_count() { notices | wc -l; }

# An ordinary message for alice from bob, queued and tried once.
refused_one() {	# refused_one SUBJECT [BODY]
	printf 'From: bob@capture.test\nSubject: %s\nMessage-ID: <%s.%s@capture.test>\n\n%s\n' \
		"$1" "$RANDOM" "$$" "${2:-hello}" > "$MSG/m"
	sm -odq -f bob@capture.test alice@localhost < "$MSG/m"
	sm_queue_run
}

@test "refusal: an ordinary message to over-quota alice stays queued; alice gets one notice, past the quota, naming sender, size and Subject" {
	n=$(notice_count) a=$(cyrus_count alice)
	refused_one 'Lunch on Friday?' 'SECRET-BODY-WORDS'
	# The refused message's own fate is unchanged: deferred with Cyrus's 452.
	[ "$(sm_queued)" -eq 1 ]
	run grep -h '^M' "$SM_DIR"/mqueue/qf*
	assert_output_has '452 4.2.2'
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	[ "$(notice_count)" -eq $((n + 1)) ]
	f=$(notices | tail -1)
	grep -q '^Auto-Submitted: auto-generated' "$f"
	grep -q "^From: $NOTICE_FROM" "$f"
	grep -q '^To: alice' "$f"
	grep -q '^Date: ' "$f"
	grep -q '^Message-ID: <.*refusal@' "$f"
	[ "$(subject_of "$f")" = 'Your mailbox is full: a message to you is waiting' ]
	grep -q '^  from:    bob@capture.test' "$f"
	grep -q '^  subject: Lunch on Friday?' "$f"
	# The size Sendmail passed on (the message plus its Received:
	# header), as a person reads it: under 1000 bytes it is in bytes.
	size=$(sed -n 's/^  size:    \([0-9]*\) bytes\r*$/\1/p' "$f")
	[ "$size" -gt "$(wc -c < "$MSG/m")" ]
	[ "$size" -lt 1000 ]
	# The server's own words are for the administrator, on their own line.
	grep -q '^For the administrator: the mail server said 452 4.2.2 Over quota' "$f"
	run ! grep -q 'said: 452' "$f"
	# The interval as configured (the default, a day).
	grep -q '^You get this notice at most once in 24 h\.' "$f"
	# Nothing from the body.
	run ! grep -q 'SECRET-BODY-WORDS' "$f"
	[ -s "$SM_DIR/refusal/u.alice" ]
}

@test "refusal: a second refused message and a queue run retrying the first bring no second notice within the interval" {
	n=$(notice_count)
	refused_one first
	[ "$(notice_count)" -eq $((n + 1)) ]
	refused_one second
	sm_queue_run
	sm_queue_run
	[ "$(sm_queued)" -eq 2 ]
	[ "$(notice_count)" -eq $((n + 1)) ]
	# alice+detail is the same mailbox: no notice of its own.
	printf 'Subject: plussed\n\nx\n' | sm -odq -f bob@capture.test alice+box@localhost
	sm_queue_run
	[ "$(notice_count)" -eq $((n + 1)) ]
}

@test "refusal: after the interval a new refusal brings a new notice" {
	sm_conf refusal_notice_interval 2
	n=$(notice_count)
	refused_one 'before the interval'
	[ "$(notice_count)" -eq $((n + 1)) ]
	sm_queue_run
	[ "$(notice_count)" -eq $((n + 1)) ]
	sleep 2.2
	sm_queue_run
	[ "$(notice_count)" -eq $((n + 2)) ]
	grep -q '^  subject: before the interval' "$(notices | tail -1)"
	grep -q '^You get this notice at most once in 2 s\.' "$(notices | tail -1)"
}

@test "refusal: five lmtp-iq processes (argv mode) refused for alice at the same moment send one notice" {
	n=$(notice_count)
	printf 'Subject: at once\n\nx\n' > "$MSG/m"
	chmod 644 "$MSG/m"
	chmod 755 "$MSG"
	for i in 1 2 3 4 5; do
		runuser -u cyrus -- "$SM_DIR/bin/lmtp-iq" -C "$SM_DIR/lmtp-iq.conf" -f "bob$i@capture.test" \
			-- alice < "$MSG/m" > "$MSG/out$i" 2>&1 &
		pids[i]=$!
	done
	for i in 1 2 3 4 5; do
		st=0; wait "${pids[i]}" || st=$?
		[ "$st" -eq 75 ]
	done
	# The notices go from detached children: wait for the first, then
	# give any other the time to come.
	wait_until 5 '[ "$(notice_count)" -gt "$n" ]' || true
	sleep 1
	[ "$(notice_count)" -eq $((n + 1)) ]
}

@test "refusal: the notice is stored past the quota even when the policy is off and its sender is not a notice sender" {
	sm_conf ignorequota off
	n=$(notice_count)
	refused_one 'policy off'
	sm_conf ignorequota
	[ "$(notice_count)" -eq $((n + 1)) ]
}

@test "refusal: control bytes in the Subject are escaped, a long one is cut; the Subject cannot add a header to the notice" {
	n=$(notice_count)
	long=$(printf 'word%.0s ' $(seq 1 100))
	refused_one $'evil\x1b[2J'"$long"
	[ "$(notice_count)" -eq $((n + 1)) ]
	f=$(notices | tail -1)
	grep -q '^  subject: evil\\x1b\[2J' "$f"
	line=$(grep '^  subject: ' "$f")
	line=${line%$'\r'}
	# 200 characters of Subject as shown (the ESC shows as 4 of them),
	# "..." among them.
	[ "${#line}" -eq $((11 + 200)) ]
	[[ "$line" == *... ]]
}

@test "refusal: an encoded Subject and display name are shown decoded in the stored notice; a Subject that carries the value is stored as RFC 2047 words" {
	# A template whose own Subject carries the refused Subject.
	printf 'Subject: Waiting: %%{subject}\n\n  from:    %%{from}\n  subject: %%{subject}\n' > "$SM_DIR/tpl-subject"
	chmod 644 "$SM_DIR/tpl-subject"
	sm_conf refusal_notice_template "$SM_DIR/tpl-subject"
	n=$(notice_count)
	printf 'From: =?UTF-8?Q?Andr=C3=A9_M=C3=BCller?= <bob@capture.test>\nSubject: =?UTF-8?B?RMOpamV1bmVyIHZlbmRyZWRpIOKAlCDwn42V?=\nMessage-ID: <%s.%s@capture.test>\n\nhello\n' \
		"$RANDOM" "$$" > "$MSG/m"
	sm -odq -f bob@capture.test alice@localhost < "$MSG/m"
	sm_queue_run
	[ "$(notice_count)" -eq $((n + 1)) ]
	f=$(notices | tail -1)
	cp "$f" "$BATS_FILE_TMPDIR/stored-notice"	# for a reader of the run
	grep -q $'^  from:    Andr\xc3\xa9 M\xc3\xbcller <bob@capture.test>\r$' "$f"
	grep -q $'^  subject: D\xc3\xa9jeuner vendredi \xe2\x80\x94 \xf0\x9f\x8d\x95\r$' "$f"
	# The header Cyrus stored is 7-bit (it would mask 8-bit bytes), and
	# its Subject decodes to what was filled in.
	sed '/^\r$/q' "$f" > "$MSG/head"
	run ! grep -q $'[\x80-\xff]' "$MSG/head"
	subj=$(subject_of "$MSG/head")
	[ "$subj" = $'Waiting: D\xc3\xa9jeuner vendredi \xe2\x80\x94 \xf0\x9f\x8d\x95' ]
}

@test "refusal: mail from the notice sender itself never brings a notice" {
	n=$(notice_count)
	printf 'Subject: from the notice sender\n\nx\n' > "$MSG/m"
	# Not a notice sender (notice_senders): it meets the quota.
	sm -odq -f "$NOTICE_FROM" alice@localhost < "$MSG/m"
	sm_queue_run
	[ "$(sm_queued)" -eq 1 ]
	[ "$(notice_count)" -eq "$n" ]
}

@test "refusal: the feature off, nothing; a state directory others can write turns it off and mail still flows" {
	sm_conf refusal_notice no
	n=$(notice_count)
	refused_one 'feature off'
	[ "$(notice_count)" -eq "$n" ]
	[ "$(sm_queued)" -eq 1 ]
	refusal_on
	chmod 777 "$SM_DIR/refusal"
	b=$(cyrus_count bob)
	refused_one 'bad state dir'
	printf 'Subject: to bob\n\nx\n' | sm -odq -f carol@capture.test bob@localhost
	sm_queue_run
	chmod 700 "$SM_DIR/refusal"
	[ "$(notice_count)" -eq "$n" ]
	[ "$(cyrus_count bob)" -eq $((b + 1)) ]
	[ "$(sm_queued)" -eq 2 ]
}
