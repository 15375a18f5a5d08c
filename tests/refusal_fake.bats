#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Refusal notices where a real server cannot be made to fail: the notice
# refused, the server gone in the middle of it, no IGNOREQUOTA, a state
# directory that cannot be written.  Each time the refused message's own
# verdict is unchanged and the notice's fate has its own syslog line.
# The wire: argv mode sends the notice on a connection of its own (a
# child, after the exit status), LMTP mode on its kept session after the
# replies.

load helpers/common
load helpers/fake

setup() {
	need_root "reads syslog through a private mount namespace"
	need_package socat /usr/bin/socat
	MSG=$(make_tmp msg)
	printf 'From: bob@example.org\nSubject: Lunch\n\nbody words\n' > "$MSG/notice"
	printf 'Subject: Full: %%{subject}\n\nFrom %%{sender}, %%{size} (%%{bytes}).\n' > "$MSG/template"
	mkdir -m 700 "$MSG/state"
}

teardown() {
	stop_pid "${SOCAT_PID:-}"
	fake_teardown
	rm -rf "$MSG"
}

refusal_conf() {
	fake_conf refusal_notice yes
	fake_conf refusal_notice_from quota-notice@example.org
	# bob's mail is ordinary mail: no IGNOREQUOTA for it.
	fake_conf notice_senders quota@example.org
	fake_conf refusal_notice_template "$MSG/template"
	fake_conf refusal_notice_dir "$MSG/state"
	fake_conf syslog yes
}

# The first connection: alice (or RCPT_AS) refused for her quota (or
# with REPLY).
refused_alice() {	# refused_alice [REPLY]
	lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	echo 'expect MAIL FROM:<bob@example.org>'; echo "expect RCPT TO:<${RCPT_AS:-alice}>"
	echo 'expect DATA'
	echo 'send 250 2.1.0 ok'; echo "send ${1:-452 4.2.2 Over quota}"
	echo 'send 503 5.5.1 No recipients'
	echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	fake_bye
}

# The notice's envelope, on a connection of its own.
notice_envelope() {
	echo 'accept'
	fake_envelope quota-notice@example.org "${NOTICE_TO:-alice}"
}

# The notice stored on its own connection, and the goodbye.
notice_stored() {
	notice_envelope
	fake_accepts; echo 'send 250 2.1.5 stored'
	fake_bye
}

# template_says TEMPLATE TEXT: with TEMPLATE (printf format) as the
# template, -n's output has TEXT.
template_says() {
	# shellcheck disable=SC2059 # the template is the format
	printf "$1" > "$MSG/template"
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_output_has "$2"
}

# refused_rcpt RCPT [NOTICE_TO]: argv mode, RCPT refused for its quota
# (exit 75); with NOTICE_TO, a notice to that address is stored, without
# it none is expected.  Each call a fake server of its own.
refused_rcpt() {
	RCPT_AS=$1 NOTICE_TO=${2:-}
	{ refused_alice; [ -z "$NOTICE_TO" ] || notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org "$1"
	assert_status 75
}

# lmtp_mode_quiet IN: lmtp-iq -l with IN on stdin and its stderr away
# (LMTP mode's replies alone in $output).
lmtp_mode_quiet() {
	lmtp_iq -l < "$1" 2>/dev/null
}

# argv mode with a private /dev/log read into $MSG/syslog; the log is
# read until the fake server has ended (the notice's child is done).
logged_until_done() {
	syslog_listen
	LMTPIQ_UNDER=syslog_run run lmtp_iq "$@"
	local st=$status out=$output
	fake_finish
	syslog_stop
	status=$st output=$out
}

@test "refusal fake: argv mode: the notice goes on a connection of its own after exit 75, with the generated header; stored: the state file is stamped" {
	{ refused_alice; notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	[ "$output" = '4.2.2 lmtp-iq: alice: 452 4.2.2 Over quota' ]
	grep -q $'^Auto-Submitted: auto-generated\r$' "$FAKE_DIR/record"
	grep -q $'^From: quota-notice@example.org\r$' "$FAKE_DIR/record"
	grep -q $'^To: alice\r$' "$FAKE_DIR/record"
	# The notice's Subject is always RFC 2047 words (a reader decodes it once).
	sed '1,/^DATA\r$/d' "$FAKE_DIR/record" > "$MSG/head"
	[ "$(subject_of "$MSG/head")" = 'Full: Lunch' ]
	grep -q $'^From bob@example.org, 49 bytes (49).\r$' "$FAKE_DIR/record"
	run ! grep -q 'body words' "$FAKE_DIR/record"
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=2.1.5, stat=Sent (250 2.1.5 stored)' "$MSG/syslog"
	[ -s "$MSG/state/u.alice" ]
}

@test "refusal fake: 552 5.2.2 (lmtp_over_quota_perm_failure) counts as over quota: exit 69 unchanged, a notice" {
	{ refused_alice '552 5.2.2 Over quota'; notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 69
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=2.1.5, stat=Sent' "$MSG/syslog"
}

@test "refusal fake: other refusals bring no notice (unknown user, too large, 4.2.1, a 452 without 4.2.2)" {
	local reply
	for reply in '550 5.1.1 User unknown' '552 5.2.3 Message too large' \
		'452 4.2.1 Mailbox disabled' '452 Over quota'; do
		refused_alice "$reply" | fake_start
		refusal_conf
		logged_until_done -f bob@example.org alice
		[ "$status" -ne 0 ]
		run ! grep -q 'refusal notice' "$MSG/syslog"
		fake_teardown
	done
}

@test "refusal fake: the notice refused: exit 75 unchanged, one log line, no stamp (the next refusal tries again)" {
	{ refused_alice; notice_envelope
	  echo 'send 250 2.1.0 ok'; echo 'send 550 5.1.1 no such user'
	  echo 'send 503 5.5.1 No recipients'
	  echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	[ "$(grep -c 'refusal notice: ' "$MSG/syslog")" -eq 1 ]
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=5.1.1, stat=not stored (550 5.1.1 no such user)' "$MSG/syslog"
	[ ! -s "$MSG/state/u.alice" ]
}

@test "refusal fake: the server drops during the notice: exit 75 unchanged, the log says so, no stamp" {
	{ refused_alice; notice_envelope
	  echo 'send 250 2.1.0 ok'; echo 'send 250 2.1.5 ok'; echo 'send 354 go'
	  echo 'close'; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=4\.[0-9.]*, stat=not stored (' "$MSG/syslog"
	[ ! -s "$MSG/state/u.alice" ]
}

@test "refusal fake: a server without IGNOREQUOTA gets no notice (it would meet the quota in turn)" {
	{ refused_alice
	  echo 'accept'
	  lhlo_offering PIPELINING ENHANCEDSTATUSCODES
	  fake_bye; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=4.3.5, stat=not stored (.*does not advertise IGNOREQUOTA' "$MSG/syslog"
}

@test "refusal fake: a state directory that cannot be written turns notices off with one line; the verdict is unchanged" {
	{ refused_alice; } | fake_start
	refusal_conf
	# Read-only even for root: the state directory bind-mounted
	# read-only in a mount namespace of the test's own.
	syslog_listen
	SYSLOG_RO=$MSG/state LMTPIQ_UNDER=syslog_run run lmtp_iq -f bob@example.org alice
	assert_status 75
	fake_finish
	wait_until 3 'grep -q "refusal notices off" "$MSG/syslog" 2>/dev/null' || true
	syslog_stop
	[ "$(grep -c 'refusal notice' "$MSG/syslog")" -eq 1 ]
	grep -q "refusal notices off: refusal_notice_dir $MSG/state is read-only here (under systemd: not in the unit's ReadWritePaths=); mail still flows" "$MSG/syslog"
}

@test "refusal fake: a state directory group or others can write, or a bad template, turns notices off; -n says why" {
	{ refused_alice; } | fake_start
	refusal_conf
	chmod 770 "$MSG/state"
	run lmtp_iq -f bob@example.org alice < "$MSG/notice"
	assert_status 75
	fake_finish
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_output_has "refusal notices: on, but none can be sent: refusal_notice_dir $MSG/state has mode 0770; group and others must not be able to write it (chmod go-w)"
	chmod 700 "$MSG/state"
	template_says 'Subject: x\nFrom: forged@example.org\n\nbody\n' "refusal notices: on, but none can be sent: refusal_notice_template $MSG/template:2: a header field lmtp-iq writes itself"
	template_says 'Subject: x\nX-A: y\n' 'no empty line after the header'
	template_says 'no header here\n\nbody\n' 'a header line that is neither a field (Name: value) nor its continuation'
	# A misspelt placeholder would reach every user as written.
	template_says 'Subject: x\n\nHello\nHi %%{usr}\n' "refusal notices: on, but none can be sent: refusal_notice_template $MSG/template:4: an unknown placeholder (known: %{user}, %{sender}, %{from}, %{size}, %{bytes}, %{subject}, %{reply}, %{interval})"
	template_says 'Subject: %%{subject}\n\nbody\n' "refusal notices: on: from quota-notice@example.org, template $MSG/template, state $MSG/state, at most one per user every 86400 s"
}

@test "refusal fake: LMTP mode: the replies go out first, then the notice on the kept session (RSET ahead of it)" {
	{ refused_alice | sed '/^expect QUIT$/,$d'
	  echo 'expect RSET'; echo 'expect MAIL FROM:<quota-notice@example.org>'
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'; echo 'expect DATA'
	  echo 'send 250 2.0.0 ok'; fake_accepts; echo 'send 250 2.1.5 stored'
	  fake_bye; } | fake_start
	refusal_conf
	fake_conf syslog
	printf 'LHLO s\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice>\r\nDATA\r\nSubject: Lunch\r\n\r\nx\r\n.\r\nQUIT\r\n' > "$MSG/in"
	run lmtp_mode_quiet "$MSG/in"
	assert_status 0
	# Refused for her quota at RCPT, alice is told 2xx there and the
	# refusal after the dot: the notice names the message's Subject.
	[ "$(printf '%s\n' "$output" | tr -d '\r' | grep -E '^(250 2.1.5|354|452) ')" = "250 2.1.5 lmtp-iq: its verdict follows the message
354 go ahead; end with <CRLF>.<CRLF>
452 4.2.2 Over quota" ]
	fake_finish
	# The notice's Subject is always RFC 2047 words (a reader decodes it once).
	sed '1,/^DATA\r$/d' "$FAKE_DIR/record" > "$MSG/head"
	[ "$(subject_of "$MSG/head")" = 'Full: Lunch' ]
	[ -s "$MSG/state/u.alice" ]
}

@test "refusal fake: a notice whose composing crashes costs only the notice: exit 75 unchanged, one line naming the message, stamped; no retry into it within the interval, then a notice again" {
	refused_alice | fake_start
	refusal_conf
	# The test build: composing the notice raises SIGSEGV.
	syslog_listen
	run env LMTPIQ_TEST_COMPOSE_CRASH=1 "$BASH" -c "$(declare -p LOGDEV_MOUNT); $(declare -f syslog_run); MSG=$MSG; syslog_run \"\$@\"" \
		sh "$LMTP_IQ_HOOKS" -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock" -f bob@example.org alice
	assert_status 75
	[ "$output" = '4.2.2 lmtp-iq: alice: 452 4.2.2 Over quota' ]
	fake_finish
	wait_file "$MSG/state/u.alice"
	syslog_stop
	# Killed by SIGSEGV; under ASan (SANITIZE=1) its handler makes the
	# child exit instead.
	grep -Eq 'refusal notice: to=<alice>, not sent: composing the notice about a message from bob@example.org failed: (killed by signal 11|it ended without the text); no other try for this user within refusal_notice_interval \(86400 s\)' "$MSG/syslog"
	grep -q '^[0-9]* failed$' "$MSG/state/u.alice"
	# The MTA's retry: refused again, no second try at composing.
	refused_alice | fake_start
	refusal_conf
	: > "$MSG/syslog"
	logged_until_done -f bob@example.org alice
	assert_status 75
	grep -q 'refusal notice: to=<alice>, not sent: composing one failed [0-9]* s ago; not tried again within refusal_notice_interval (86400 s)' "$MSG/syslog"
	run ! grep -Eq 'killed by signal|ended without' "$MSG/syslog"
	# Once the interval is over, a notice that can be composed is sent.
	echo '1 failed' > "$MSG/state/u.alice"
	{ refused_alice; notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=2.1.5, stat=Sent' "$MSG/syslog"
	run ! grep -q 'failed' "$MSG/state/u.alice"
}

@test "refusal fake: LMTP mode: a notice whose composing crashes costs only the notice: the session answers the next transaction" {
	{ refused_alice | sed '/^expect QUIT$/,$d'
	  echo 'expect RSET'; echo 'expect MAIL FROM:<carol@example.org>'
	  echo 'expect RCPT TO:<dave>'; echo 'expect DATA'
	  echo 'send 250 2.0.0 ok'; fake_accepts; echo 'send 250 2.1.5 stored dave'
	  fake_bye; } | fake_start
	refusal_conf
	printf 'LHLO s\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice>\r\nDATA\r\nSubject: =?ISO-2022-CN-EXT?B?Dg==?=\r\n\r\nx\r\n.\r\nMAIL FROM:<carol@example.org>\r\nRCPT TO:<dave>\r\nDATA\r\nSubject: next\r\n\r\ny\r\n.\r\nQUIT\r\n' > "$MSG/notice"
	syslog_listen
	run env LMTPIQ_TEST_COMPOSE_CRASH=1 "$BASH" -c "$(declare -p LOGDEV_MOUNT); $(declare -f syslog_run); MSG=$MSG; syslog_run \"\$@\" 2>/dev/null" \
		sh "$LMTP_IQ_HOOKS" -l -C "$FAKE_DIR/conf" -s "unix:$FAKE_DIR/sock"
	syslog_stop
	assert_status 0
	fake_finish
	assert_output_has '452 4.2.2 Over quota'
	assert_output_has '250 2.1.5 stored dave'
	assert_output_has '221 '
	grep -Eq 'refusal notice: to=<alice>, not sent: composing the notice about a message from bob@example.org failed: (killed by signal 11|it ended without the text)' "$MSG/syslog"
	grep -q '^[0-9]* failed$' "$MSG/state/u.alice"
}

@test "refusal fake: the composing hook is in the test build only, never in the shipped binary" {
	grep -q LMTPIQ_TEST_COMPOSE_CRASH "$LMTP_IQ_HOOKS"
	run ! grep -q LMTPIQ_TEST_COMPOSE_CRASH "$LMTP_IQ"
}

@test "refusal fake: refusal_notice = yes without refusal_notice_from is a config error" {
	FAKE_DIR=$(make_tmp fake) LMTPIQ_CONF=$FAKE_DIR/conf
	conf_write "$FAKE_DIR/conf" refusal_notice yes
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -f bob@example.org alice < "$MSG/notice"
	assert_status 75
	[ "$output" = "lmtp-iq: config: $FAKE_DIR/conf: refusal_notice = yes needs refusal_notice_from (the notice's sender); the message stays queued" ]
	conf_write "$FAKE_DIR/conf" refusal_notice_from "<>"
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -f bob@example.org alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'refusal_notice_from: expected one address, without angle brackets'
}

@test "refusal fake: a stamp within the interval holds the notice back (logged); one from the future (the clock set back) does not" {
	date +%s > "$MSG/state/u.alice"
	{ refused_alice; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	grep -q 'refusal notice: to=<alice>, not sent: one was stored [0-9]* s ago (refusal_notice_interval 86400 s)' "$MSG/syslog"
	fake_teardown
	echo $(( $(date +%s) + 100000 )) > "$MSG/state/u.alice"
	{ refused_alice; notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	# Stamped anew, with now.
	[ "$(cat "$MSG/state/u.alice")" -le "$(date +%s)" ]
}

@test "refusal fake: quoted local parts: the notice goes to the same mailbox with its quotes whole; \"alice\" and alice share one interval" {
	# The + inside the quotes is the mailbox's +detail all the same.
	refused_rcpt '"c+d"@example.org' c@example.org
	grep -q $'^To: c@example.org\r$' "$FAKE_DIR/record"
	[ -s "$MSG/state/u.c@example.org" ]
	# A local part that needs its quotes keeps them.
	refused_rcpt '"al ice"@example.org' '"al ice"@example.org'
	grep -q $'^To: "al ice"@example.org\r$' "$FAKE_DIR/record"
	[ -s "$MSG/state/u.al%20ice@example.org" ]
	# "alice" is alice (RFC 5321 4.1.2): one state file, one interval.
	refused_rcpt '"alice"' alice
	[ -s "$MSG/state/u.alice" ]
	refused_rcpt alice
	grep -q 'refusal notice: to=<alice>, not sent: one was stored [0-9]* s ago' "$MSG/syslog"
	# No second file for the quoted spelling.
	[ "$(ls "$MSG/state" | grep -c alice)" -eq 1 ]
}

@test "refusal fake: a user name too long for a file name still gets its notice: the state file's name is a fixed-length hash" {
	# 90 "%": each would be "%25" in the name, over NAME_MAX.
	long=$(printf '%%%.0s' $(seq 1 90))
	refused_rcpt "$long" "$long"
	grep -q "refusal notice: to=<$long>, about a message from bob@example.org, dsn=2.1.5, stat=Sent" "$MSG/syslog"
	run ls "$MSG/state"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^h\.[0-9a-f]{64}$ ]]
	# The same user again: the same file, within the interval.
	refused_rcpt "$long"
	grep -q "refusal notice: to=<$long>, not sent: one was stored" "$MSG/syslog"
}

@test "refusal fake: a placeholder in a header line other than Subject is a template error: the refused Subject cannot add a header field" {
	# The template's own header has no Content-Type, and a line that is
	# only %{subject}: a Subject "Content-Type: text/html" would add one.
	printf 'Subject: Full\n%%{subject}\n\nbody\n' > "$MSG/template"
	printf 'From: bob@example.org\nSubject: Content-Type: text/html\n\n<b>x</b>\n' > "$MSG/notice"
	{ refused_alice; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	run ! grep -qi 'content-type: text/html' "$FAKE_DIR/record"
	grep -q 'refusal notices off: refusal_notice_template .*: a placeholder in the header outside the Subject' "$MSG/syslog"
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_output_has "refusal notices: on, but none can be sent: refusal_notice_template $MSG/template:2: a placeholder in the header outside the Subject"
	# In the Subject, and in the body, placeholders are fine.
	template_says 'Subject: Full: %%{subject}\n\n%%{subject}\n' 'refusal notices: on: from quota-notice@example.org'
}

# notice_about HEAD TEMPLATE (printf formats): alice refused a message
# with HEAD, the notice from TEMPLATE stored (exit 75 unchanged); the
# notice as sent, after DATA, in $MSG/head.
notice_about() {
	# shellcheck disable=SC2059 # the arguments are the formats
	printf "$1" > "$MSG/notice"
	# shellcheck disable=SC2059
	printf "$2" > "$MSG/template"
	{ refused_alice; notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	sed '1,/^DATA\r$/d' "$FAKE_DIR/record" > "$MSG/head"
}

@test "refusal fake: an encoded Subject and display name are shown decoded in UTF-8; the notice's own Subject goes as RFC 2047 words (7-bit header)" {
	notice_about 'From: =?UTF-8?Q?Andr=C3=A9_M=C3=BCller?= <andre@example.org>\nSubject: =?UTF-8?B?RMOpamV1bmVyIHZlbmRyZWRpIOKAlCDwn42V?=\n\nbody words\n' \
		'Subject: Full: %%{subject}\n\nFrom %%{from} (%%{sender}): %%{subject}\n'
	# The body as its writer wrote it.
	grep -q $'^From Andr\xc3\xa9 M\xc3\xbcller <andre@example.org> (bob@example.org): D\xc3\xa9jeuner vendredi \xe2\x80\x94 \xf0\x9f\x8d\x95\r$' "$FAKE_DIR/record"
	# The Subject line: encoded words only, 7-bit, folded.
	sed -n '/^DATA\r$/,/^\r$/p' "$FAKE_DIR/record" > "$MSG/head"
	run ! grep -q $'[\x80-\xff]' "$MSG/head"
	grep -q '^Subject: =?UTF-8?B?[A-Za-z0-9+/=]*?=' "$MSG/head"
	# Decoded again, it is the value as it was filled in.
	subj=$(subject_of "$MSG/head")
	[ "$subj" = $'Full: D\xc3\xa9jeuner vendredi \xe2\x80\x94 \xf0\x9f\x8d\x95' ]
}

@test "refusal fake: a Subject from outside in any charset never costs the notice: ISO-2022-CN-EXT's lone SO (it crashed the decoder) in Subject and From, B and Q" {
	notice_about 'From: =?ISO-2022-CN-EXT?Q?=0E?= <andre@example.org>\nSubject: =?ISO-2022-CN-EXT?B?Dg==?= and =?ISO-2022-CN-EXT?Q?=0E?=\n\nbody words\n' \
		'Subject: Full: %%{subject}\n\nFrom %%{from}: %%{subject}\n'
	grep -q 'refusal notice: to=<alice>, about a message from bob@example.org, dsn=2.1.5, stat=Sent' "$MSG/syslog"
	# The lone SO is no character: nothing is shown for it.
	grep -q $'^From  <andre@example.org>:  and \r$' "$FAKE_DIR/record"
	[ "$(subject_of "$MSG/head")" = 'Full:  and' ]
}

@test "refusal fake: what a reader could decode again reaches it as lmtp-iq's text: a word that decodes to a word, one lmtp-iq finds malformed, zero-width and tag characters" {
	# =?UTF-8?B?PT9VVEYtOD9RPz1FMj04MD1BRT89?= is the word =?UTF-8?Q?=E2=80=AE?=
	# (U+202E); =?UTF-8?Q?=E2=80=AE =?= has a space a lenient reader takes.
	notice_about 'From: bob@example.org\nSubject: =?UTF-8?B?PT9VVEYtOD9RPz1FMj04MD1BRT89?= x =?UTF-8?Q?=E2=80=AE =?= y =?UTF-8?Q?a=E2=80=8Bb=EF=BB=BF=F3=A0=80=81?=\n\nbody words\n' \
		'Subject: Full: %%{subject}\n\n%%{subject}\n'
	want='=?UTF-8?Q?=E2=80=AE?= x =?UTF-8?Q?=E2=80=AE =?= y a\u{200B}b\u{FEFF}\u{E0001}'
	grep -qF "$want"$'\r' "$FAKE_DIR/record"
	# Decoded once, as a reader does, the Subject is that text exactly.
	[ "$(subject_of "$MSG/head")" = "Full: $want" ]
}

@test "refusal fake: the French template (docs/examples/refusal-notice.fr): its own 8-bit Subject goes as RFC 2047 words, its body as UTF-8" {
	cp "$TOP/docs/examples/refusal-notice.fr" "$MSG/template"
	{ refused_alice; notice_stored; } | fake_start
	refusal_conf
	logged_until_done -f bob@example.org alice
	assert_status 75
	sed -n '/^DATA\r$/,/^\r$/p' "$FAKE_DIR/record" > "$MSG/head"
	run ! grep -q $'[\x80-\xff]' "$MSG/head"
	subj=$(subject_of "$MSG/head")
	[ "$subj" = "$(sed -n 's/^Subject: //p' "$TOP/docs/examples/refusal-notice.fr")" ]
	grep -q $'^un message pour vous (alice) n\'a pas pu \xc3\xaatre distribu\xc3\xa9, car votre\r$' "$FAKE_DIR/record"
	grep -q $'^  objet :  Lunch\r$' "$FAKE_DIR/record"
}

@test "refusal fake: To: and Message-ID: in a domain, never from DNS: refusal_notice_domain, else the recipient's, else the notice sender's; -n says which" {
	# No refusal_notice_domain, a bare recipient: To: as refused, the
	# Message-ID in the notice sender's domain.
	refused_rcpt alice alice
	grep -q $'^To: alice\r$' "$FAKE_DIR/record"
	grep -q $'^Message-ID: <[0-9]*\\.[0-9]*\\.[0-9a-f]*\\.refusal@example.org>\r$' "$FAKE_DIR/record"
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_output_has "; To: the recipient as refused; Message-ID: in the recipient's domain, else example.org (refusal_notice_from's domain)"
	# A recipient with a domain (virtual domains): To: and Message-ID in it.
	rm -f "$MSG"/state/*
	refused_rcpt carol@hosted.example carol@hosted.example
	grep -q $'^To: carol@hosted.example\r$' "$FAKE_DIR/record"
	grep -q $'^Message-ID: <.*\\.refusal@hosted.example>\r$' "$FAKE_DIR/record"
	# refusal_notice_domain: a bare recipient gets it in To:, and every
	# Message-ID is in it; the RCPT is the recipient as refused.
	rm -f "$MSG"/state/*
	RCPT_AS=alice NOTICE_TO=alice
	{ refused_alice; notice_stored; } | fake_start
	refusal_conf
	fake_conf refusal_notice_domain mail.example.net
	logged_until_done -f bob@example.org alice
	grep -q $'^RCPT TO:<alice> IGNOREQUOTA\r$' "$FAKE_DIR/record"
	grep -q $'^To: alice@mail.example.net\r$' "$FAKE_DIR/record"
	grep -q $'^Message-ID: <.*\\.refusal@mail.example.net>\r$' "$FAKE_DIR/record"
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_output_has "; To: the recipient, with @mail.example.net where it has no domain; Message-ID: in mail.example.net (refusal_notice_domain)"
	fake_conf refusal_notice_domain bad..example
	LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_status 78
	assert_output_has 'refusal_notice_domain: expected a domain name'
}
