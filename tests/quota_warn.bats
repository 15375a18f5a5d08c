#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# lmtp-iq-quota-warn, the notice job: against a throwaway Cyrus (its own
# quota -J report) and the test Sendmail with the notice route, the
# warnings land in the mailboxes past the threshold, full ones included,
# once per interval, from the notice sender lmtp-iq.conf names.  The
# thresholds, domains, back-under notices, the digest and the failures
# are shown with reports written by the test (a quota command of its
# own) and a sendmail that records what it is given.

load helpers/common
load helpers/cyrus
load helpers/sendmail

setup_file() {
	suite_needs_root "Cyrus and Sendmail run from temp dirs" || return 0
	cyrus_suite_start
	SM_NOTICE_SENDERS=quota-warn@example.test
	sendmail_setup
	cyrus_fill carol
	# bob has mail, but is far below the threshold.
	printf 'Subject: hi\r\n\r\nhello\r\n' > "$SM_DIR/small"
	"$TOOLS/rawlmtp" -s "unix:$CYRUS_SOCK" -f "$SM_DIR/small" bob
	# What the job runs: Cyrus's quota report, and this Sendmail.
	printf '#!/bin/sh\nexec runuser -u cyrus -- %s/quota -C %s/imapd.conf "$@"\n' \
		"$CYRUS_LIB" "$CYRUS_DIR" > "$SM_DIR/bin/quota"
	printf '#!/bin/sh\nexec unshare -m sh -c '"'"'mount --bind "$0" /etc/hosts && exec "$@"'"'"' %s %s -C %s "$@"\n' \
		"$SM_DIR/hosts" "$SM_BIN" "$SM_DIR/test.cf" > "$SM_DIR/bin/sendmail"
	chmod 755 "$SM_DIR/bin/quota" "$SM_DIR/bin/sendmail"
	QW=$TOP/mailer/lmtp-iq-quota-warn
	export SM_DIR QW
}

teardown_file() {
	sendmail_suite_stop
}

setup() {
	suite_skip_check
	W=$(make_tmp qw)
	mkdir -m 700 "$W/state"
	# The sender comes from the mailer's config.
	conf_write "$W/conf" notice_senders "<> quota-warn@example.test"
}

teardown() {
	rm -rf "$W"
}

# warn ARGS...: the job against the real Cyrus and Sendmail.
warn() {
	"$QW" -C "$W/conf" -d notices.example.test -s "$W/state" \
		-Q "$SM_DIR/bin/quota" -S "$SM_DIR/bin/sendmail" "$@"
}

# report JSON: a quota command that prints JSON; record: a sendmail that
# appends its arguments and message to $W/sent.
report() {
	printf '%s\n' "$1" > "$W/report.json"
	printf '#!/bin/sh\n[ "$1" = -J ] || exit 9\ncat %s\n' "$W/report.json" > "$W/quota"
	printf '#!/bin/sh\necho "ARGS $*" >> %s\ncat >> %s\necho ===== >> %s\n' \
		"$W/sent" "$W/sent" "$W/sent" > "$W/sendmail"
	chmod 755 "$W/quota" "$W/sendmail"
}

# fake ARGS...: the job against report's quota command and sendmail.
fake() {
	"$QW" -C "$W/conf" -s "$W/state" -Q "$W/quota" -S "$W/sendmail" "$@"
}

# A root with STORAGE used/limit in bytes (the report's unit) and
# MESSAGE used/limit.
root() {	# root NAME SUSED SLIMIT MUSED MLIMIT
	printf '"user/%s": {"STORAGE": {"used": %s, "limit": %s}, "MESSAGE": {"used": %s, "limit": %s}}' "$@"
}

@test "quota-warn: a dry run names the users past the threshold and sends nothing" {
	a=$(cyrus_count alice)
	run warn -n
	assert_status 0
	assert_output_has 'would send to alice@notices.example.test: alice past storage:90%'
	assert_output_has 'would send to carol@notices.example.test: carol past storage:90%'
	assert_output_lacks 'bob'
	[ "$(cyrus_count alice)" -eq "$a" ]
	[ -z "$(ls -A "$W/state")" ]
}

@test "quota-warn: the warnings are stored in the full mailboxes past the quota, from the config's notice sender, silently" {
	a=$(cyrus_count alice); c=$(cyrus_count carol); b=$(cyrus_count bob)
	run warn
	assert_status 0
	[ -z "$output" ]
	sm_queue_run
	[ "$(sm_queued)" -eq 0 ]
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	[ "$(cyrus_count carol)" -eq $((c + 1)) ]
	[ "$(cyrus_count bob)" -eq "$b" ]
	f=$(cyrus_newest alice)
	grep -q '^Subject: Your mailbox is 1[0-9][0-9]% full' "$f"
	grep -q '^Return-Path: <quota-warn@example.test>' "$f"
	grep -q '^Auto-Submitted: auto-generated' "$f"
	grep -q 'your mailbox (alice) uses 1[0-9] KiB of its 10 KiB quota for' "$f"
	[ -s "$W/state/w.alice" ]
	# Within the interval: nothing again; with -i 0, again.
	run warn
	assert_status 0
	sm_queue_run
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	run warn -i 0
	assert_status 0
	sm_queue_run
	[ "$(cyrus_count alice)" -eq $((a + 2)) ]
}

@test "quota-warn: thresholds in percent and in space or messages left, for storage and messages; a higher one warns again within the interval" {
	report "{$(root dave 800 1000 5 100), $(root erin 100 1000 98 100), $(root fred 100 1000 1 100)}"
	run fake -d notices.example.org -w 75% -w 95% -w message:3 -n
	assert_status 0
	assert_output_has 'would send to dave@notices.example.org: dave past 75%'
	assert_output_has 'would send to erin@notices.example.org: erin past message:3'
	assert_output_lacks 'fred'
	run fake -d notices.example.org -w 75% -w 95% -w storage:250 -w message:3
	assert_status 0
	[ "$(grep -c '^ARGS -oi -f quota-warn@example.test -- ' "$W/sent")" -eq 2 ]
	grep -q '^ARGS -oi -f quota-warn@example.test -- dave@notices.example.org$' "$W/sent"
	grep -q 'uses 1 KiB of its 1 KiB quota for$' "$W/sent"
	grep -q '^messages (98%); 2 messages left' "$W/sent"
	: > "$W/sent"
	# dave at 96%: past a threshold he was not warned of: again.
	report "{$(root dave 960 1000 5 100)}"
	run fake -d notices.example.org -w 75% -w 95%
	assert_status 0
	grep -q -- '-- dave@notices.example.org$' "$W/sent"
	: > "$W/sent"
	run fake -d notices.example.org -w 75% -w 95%
	[ ! -s "$W/sent" ]
}

@test "quota-warn: every notice domain: users of each virtual domain are warned in theirs; a user of a domain with none is a clear error, the others still warned" {
	report "{$(root alice@example.org 95 100 0 0), $(root bob@example.net 95 100 0 0), $(root carol@example.com 95 100 0 0)}"
	run fake -d example.org=notices.example.org -d example.net=notices.example.net
	assert_status 1
	[ "${#lines[@]}" -eq 1 ]
	assert_output_has 'lmtp-iq-quota-warn: user carol@example.com: no notice domain for example.com; give -d example.com=notice-domain'
	grep -q -- '-- alice@notices.example.org$' "$W/sent"
	grep -q -- '-- bob@notices.example.net$' "$W/sent"
	run ! grep -q carol "$W/sent"
}

@test "quota-warn: -b sends a notice when a warned user is back under; without -b the state is cleared silently" {
	report "{$(root dave 950 1000 0 0)}"
	run fake -d notices.example.org -b
	assert_status 0
	[ -s "$W/state/w.dave" ]
	: > "$W/sent"
	report "{$(root dave 500 1000 0 0)}"
	run fake -d notices.example.org -b
	assert_status 0
	grep -q '^Subject: Your mailbox has room again' "$W/sent"
	grep -q -- '-- dave@notices.example.org$' "$W/sent"
	[ ! -e "$W/state/w.dave" ]
	# Once: the next run has nothing to say.
	: > "$W/sent"
	run fake -d notices.example.org -b
	[ ! -s "$W/sent" ]
}

@test "quota-warn: -p sends the postmaster one digest of who is past a threshold, once per interval" {
	report "{$(root dave 950 1000 0 0), $(root erin 990 1000 9 10), $(root fred 10 1000 0 0)}"
	run fake -d notices.example.org -p postmaster@example.org
	assert_status 0
	grep -q -- '-- postmaster@example.org$' "$W/sent"
	grep -q '^Subject: Quota digest: 2 mailboxes past a warning threshold' "$W/sent"
	grep -q '^erin$' "$W/sent"
	grep -q '^  1 KiB of 1 KiB (99%), 9 messages of 10 messages (90%)$' "$W/sent"
	run ! grep -q '^fred$' "$W/sent"
	: > "$W/sent"
	run fake -d notices.example.org -p postmaster@example.org -i 3600
	[ ! -s "$W/sent" ]
}

@test "quota-warn: failures are one clear line each and a non-zero exit: no notice sender, the quota command, a report it cannot read, a state directory others can write, the MTA" {
	report "{$(root dave 950 1000 0 0)}"
	conf_write "$W/conf" notice_senders "<>"
	run fake -d notices.example.org
	assert_status 78
	assert_output_has 'names no notice sender (notice_senders), and -f is not given'
	conf_write "$W/conf" notice_senders quota-warn@example.test
	printf '#!/bin/sh\nexit 3\n' > "$W/quota"
	run fake -d notices.example.org
	assert_status 69
	assert_output_has 'the quota report ('"$W"'/quota -J): it exited non-zero'
	report '{"user/dave": {"STORAGE": {"used": 1, "limit": 2, "extra": 3}}}'
	run fake -d notices.example.org
	assert_status 65
	assert_output_has 'quota -J report, byte'
	assert_output_has 'a resource holds only used and limit'
	report $'{"user/da\\nve": {"STORAGE": {"used": 1, "limit": 2}}}'
	run fake -d notices.example.org
	assert_status 65
	assert_output_has 'a control character in a string'
	report "{$(root dave 950 1000 0 0)}"
	chmod 777 "$W/state"
	run fake -d notices.example.org
	assert_status 73
	assert_output_has 'state directory:'
	chmod 700 "$W/state"
	printf '#!/bin/sh\nexit 75\n' > "$W/sendmail"
	run fake -d notices.example.org
	assert_status 1
	assert_output_has "to=<dave@notices.example.org>: $W/sendmail did not take the notice"
	# Not sent, not recorded: the next run tries again.
	[ ! -e "$W/state/w.dave" ]
}

@test "quota-warn: no leaks and no memory errors (valgrind, or LeakSanitizer under SANITIZE=1) on a run that warns, digests and fails" {
	memcheck_prefix
	report "{$(root dave 950 1000 0 0), $(root erin 990 1000 9 10), $(root carol@example.com 95 100 0 0)}"
	run "${CHECK[@]}" "$QW" -C "$W/conf" -s "$W/state" -Q "$W/quota" -S "$W/sendmail" \
		-d notices.example.org -w 90% -w message:1 -b -p postmaster@example.org
	assert_status 1	# carol's domain has no notice domain
	grep -q -- '-- dave@notices.example.org$' "$W/sent"
	grep -q -- '-- postmaster@example.org$' "$W/sent"
	report '{"user/dave": {"STORAGE": {"used": 1, "limit": 2}'
	run "${CHECK[@]}" "$QW" -C "$W/conf" -s "$W/state" -Q "$W/quota" -S "$W/sendmail" -d notices.example.org
	assert_status 65
}
