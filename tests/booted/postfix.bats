#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The shipped units under systemd itself: a Debian root (BOOT_RELEASE,
# trixie unless set) booted with systemd as PID 1, Debian's Postfix and
# Cyrus started by it, lmtp-iq.socket enabled, Postfix set up with
# docs/postfix.md's postconf commands.  Run by make check-postfix for
# Debian 13 and 12 (their systemd differ: 257 and 252).

load ../helpers/common
load ../helpers/booted

setup_file() {
	suite_needs_root "systemd-nspawn boots a root of its own" || return 0
	export BOOT_RELEASE=${BOOT_RELEASE:-trixie}
	boot_start
	export BOOT_DIR BOOT_PID BOOT_NSPAWN_PID
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	boot_stop
}

setup() {
	suite_skip_check
}

# hold / release: the guide's lmtp client for lmtp-iq deferred, and let
# go again with a queue run.
hold() {
	boot_in postconf -e 'defer_transports = lmtp-iq-lmtp'
	boot_in postfix reload >/dev/null 2>&1
}
release() {
	boot_in postconf -e 'defer_transports ='
	boot_in postfix reload >/dev/null 2>&1
	boot_in postqueue -f
}

# sent_wait PATTERN N SECONDS: Postfix's log has N lines like PATTERN.
sent_wait() {
	wait_until "$3" "[ \"\$(boot_log_count $(printf %q "$1"))\" -ge $2 ]" && return 0
	echo "postfix log: not $2 lines like /$1/ (found $(boot_log_count "$1"))"
	boot_log | tail -5
	return 1
}

# burst N USER TAG: N notices held, let go with postqueue -f, all sent:
# prints the milliseconds from the queue run to the last status=sent.
burst() {
	local stored="to=<$2@notices.example.org>, relay=mx.example.org\[lmtp-iq/lmtp\].*status=sent"
	local held='status=deferred \(deferred transport\)' before h start
	before=$(boot_log_count "$stored")
	h=$(boot_log_count "to=<$2@notices.example.org>.*$held")
	hold
	boot_queue "$1" "$2@notices.example.org" quota-warn@example.org "$3"
	sent_wait "to=<$2@notices.example.org>.*$held" $((h + $1)) 300 >&2
	start=$(date +%s%N)
	release
	sent_wait "$stored" $((before + $1)) 600 >&2
	echo $((($(date +%s%N) - start) / 1000000))
}

@test "booted: systemd is PID 1, the socket listens, and the limits nest on this systemd: Postfix's maxproc for lmtp-iq below MaxConnections and Cyrus's lmtpunix maxchild" {
	[ "$(boot_in cat /proc/1/comm)" = systemd ]
	echo "# $(boot_in systemctl --version | head -1)" >&3
	for unit in lmtp-iq.socket cyrus-imapd.service postfix.service; do
		boot_in systemctl is-active "$unit"
	done
	maxconn=$(boot_in systemctl show -P MaxConnections lmtp-iq.socket)
	maxproc=$(boot_in postconf -Fh lmtp-iq-lmtp/unix/process_limit)
	maxchild=$(sed -n 's/^[[:space:]]*lmtpunix[[:space:]].*maxchild=\([0-9]*\).*/\1/p' "$BOOT_DIR/root/etc/cyrus.conf")
	burst=$(boot_in systemctl show -P TriggerLimitBurst lmtp-iq.socket)
	echo "# maxproc $maxproc, MaxConnections $maxconn, lmtpunix maxchild $maxchild, TriggerLimitBurst $burst" >&3
	[ "$maxproc" -lt "$maxconn" ] && [ "$maxproc" -lt "$maxchild" ]
	[ "$burst" -ge 1000 ]
	# The socket where the guide says, owned by postfix, 0600.
	[ "$(boot_in stat -c '%U %a' /var/spool/postfix/lmtp-iq/lmtp)" = 'postfix 600' ]
}

@test "booted: 500 notices let go at once with postqueue -f go through the socket and the sandboxed service: each stored once, none deferred" {
	before=$(boot_count erin)
	ms=$(burst 500 erin burst)
	echo "# 500 notices in $ms ms" >&3
	[ "$(boot_count erin)" -eq $((before + 500)) ]
	dir=$BOOT_DIR/root$(boot_mbox erin)
	[ "$(grep -h '^Subject: burst ' "$dir"/[0-9]*. | sort -u | wc -l)" -eq 500 ]
	# None waited for a connection, and no instance failed.
	deferred=$(boot_log | grep -E 'to=<erin@notices.example.org>.*status=deferred' |
		grep -vc 'status=deferred (deferred transport)' || true)
	[ "$deferred" -eq 0 ]
	[ -z "$(boot_in systemctl list-units --failed --plain --no-legend 'lmtp-iq*')" ]
	boot_in systemctl is-active lmtp-iq.socket
	# The guide's lmtp client draws no warning from Postfix.
	run ! grep -q 'postfix/lmtp-iq/lmtp\[[0-9]*\]: warning:' <<< "$(boot_log)"
	# The guide's journalctl line shows both sides of one delivery:
	# Postfix's line and lmtp-iq's, by Postfix's queue id.
	qid=$(boot_in journalctl -q --no-pager -t postfix/lmtp-iq/lmtp | grep 'to=<erin@notices.example.org>.*status=sent' |
		tail -1 | sed -n 's/.*\]: \([0-9A-F]*\): to=.*/\1/p')
	[ -n "$qid" ]
	[ "$(boot_in journalctl -q --no-pager -t postfix/lmtp-iq/lmtp -t lmtp-iq | grep -c " $qid: to=<erin@notices.example.org>, ")" -eq 2 ]
}

@test "booted: under the unit's sandbox a refusal notice is stored and its state written in /var/lib/lmtp-iq; a state directory elsewhere cannot be written: notices turn off, mail still flows" {
	# erin is far over her 100 KiB now (500 notices): ordinary mail is
	# refused, and she gets one notice.
	before=$(boot_count erin)
	n=$(boot_log_count 'to=<erin@mx.example.org>.*status=deferred.*452 4\.2\.2')
	printf 'Subject: ordinary\n\nx\n' | boot_in sendmail -f someone@example.net -- erin@mx.example.org
	sent_wait 'to=<erin@mx.example.org>.*status=deferred.*452 4\.2\.2' $((n + 1)) 60
	wait_until 10 "[ \$(boot_count erin) -gt $before ]"
	[ "$(boot_count erin)" -eq $((before + 1)) ]
	[ -n "$(ls "$BOOT_DIR/root/var/lib/lmtp-iq")" ]
	# The same with the state somewhere the unit may not write.
	boot_in install -d -m 700 -o cyrus /var/spool/lmtp-iq-elsewhere
	sed -i 's|^refusal_notice_dir = .*|refusal_notice_dir = /var/spool/lmtp-iq-elsewhere|' "$BOOT_DIR/root/etc/mail/lmtp-iq.conf"
	sleep 3		# past lmtp_connection_cache_time_limit: a new lmtp-iq reads it
	boot_in postsuper -d ALL >/dev/null 2>&1
	before=$(boot_count bob)
	printf 'Subject: to bob\n\nx\n' | boot_in sendmail -f someone@example.net -- bob@mx.example.org
	printf 'Subject: ordinary 2\n\nx\n' | boot_in sendmail -f someone@example.net -- erin@mx.example.org
	sent_wait 'to=<bob@mx.example.org>.*status=sent' 1 60
	sent_wait 'to=<erin@mx.example.org>.*status=deferred.*452 4\.2\.2' $((n + 2)) 60
	[ "$(boot_count bob)" -eq $((before + 1)) ]
	wait_until 10 "boot_in journalctl -q -t lmtp-iq --no-pager | grep -q 'refusal notices off: '"
	boot_in journalctl -q -t lmtp-iq --no-pager | grep 'refusal notices off: ' | tail -1 | sed 's/^/# /' >&3
	boot_in journalctl -q -t lmtp-iq --no-pager | grep 'refusal notices off: ' |
		grep -q "refusal_notice_dir /var/spool/lmtp-iq-elsewhere is read-only here (under systemd: not in the unit's ReadWritePaths=); mail still flows"
	[ -z "$(ls -A "$BOOT_DIR/root/var/spool/lmtp-iq-elsewhere")" ]
	# cyrus may write there outside the unit: the sandbox said no.
	boot_in runuser -u cyrus -- touch /var/spool/lmtp-iq-elsewhere/probe
	boot_in rm /var/spool/lmtp-iq-elsewhere/probe
	sed -i 's|^refusal_notice_dir = .*|refusal_notice_dir = /var/lib/lmtp-iq|' "$BOOT_DIR/root/etc/mail/lmtp-iq.conf"
	boot_in postsuper -d ALL >/dev/null 2>&1
	sleep 3
}

@test "booted: Accept=yes against a kept connection: one lmtp-iq per delivery costs this much more (measured, 200 notices each way); the socket takes a connection per delivery" {
	before=$(boot_count alice)
	accepted=$(boot_in systemctl show -P NAccepted lmtp-iq.socket)
	kept=$(burst 200 alice kept)
	kept_conns=$(( $(boot_in systemctl show -P NAccepted lmtp-iq.socket) - accepted ))
	# No caching at all: each delivery opens a connection, and systemd
	# starts an lmtp-iq for it.
	boot_in postconf -P 'lmtp-iq-lmtp/unix/lmtp_connection_cache_destinations=' \
		'lmtp-iq-lmtp/unix/lmtp_connection_cache_on_demand=no'
	accepted=$(boot_in systemctl show -P NAccepted lmtp-iq.socket)
	each=$(burst 200 alice each)
	each_conns=$(( $(boot_in systemctl show -P NAccepted lmtp-iq.socket) - accepted ))
	boot_in postconf -PX 'lmtp-iq-lmtp/unix/lmtp_connection_cache_on_demand'
	boot_in postconf -P 'lmtp-iq-lmtp/unix/lmtp_connection_cache_destinations=lmtp-iq/lmtp'
	boot_in postfix reload >/dev/null 2>&1
	echo "# kept: $kept ms, $kept_conns connections; one per delivery: $each ms, $each_conns connections" >&3
	awk -v k="$kept" -v e="$each" 'BEGIN { printf "# per delivery: %.2f ms kept, %.2f ms one lmtp-iq each (%.2fx)\n", k / 200, e / 200, e / k }' >&3
	[ "$each_conns" -ge 150 ]
	[ "$kept_conns" -lt "$each_conns" ]
	[ "$(boot_count alice)" -eq $((before + 400)) ]
	boot_in systemctl is-active lmtp-iq.socket
}

@test "booted: a second Postfix instance (postmulti) gets a socket of its own from the guide's lines; a notice through it is stored past the quota" {
	boot_in postmulti -e init
	boot_in postmulti -I postfix-out -e create
	# The instance: its SMTP listener off (postmulti's default), local
	# submission allowed, the guide's LMTP way and the notice route.
	doc_block docs/postfix.md '# postconf: the LMTP way' | grep '^postconf ' > "$BOOT_DIR/root/root/out.sh"
	boot_in postmulti -i postfix-out -x sh -e /root/out.sh
	boot_in postmulti -i postfix-out -x postconf -P 'lmtp-iq-lmtp/unix/syslog_name=postfix-out/lmtp-iq'
	doc_block docs/postfix.md '# /etc/postfix/transport: the LMTP way' > "$BOOT_DIR/root/etc/postfix-out/transport"
	boot_in postmulti -i postfix-out -x postmap /etc/postfix-out/transport
	boot_in postmulti -i postfix-out -x postconf -e 'transport_maps = hash:/etc/postfix-out/transport' \
		'relay_domains = notices.example.org' 'authorized_submit_users = static:anyone' 'mailbox_transport ='
	# Its socket, by the guide's lines.
	doc_block docs/postfix.md '# postmulti: a socket for the instance postfix-out' | grep -v '^#' > "$BOOT_DIR/root/root/socket.sh"
	boot_in sh -e /root/socket.sh
	boot_in postmulti -i postfix-out -e enable
	boot_in postmulti -i postfix-out -p start
	before=$(boot_count alice)
	printf 'Subject: second instance\n\nx\n' |
		boot_in postmulti -i postfix-out -x sendmail -f quota-warn@example.org -- alice@notices.example.org
	sent_wait 'postfix-out/lmtp-iq/lmtp\[[0-9]*\]: [0-9A-F]*: to=<alice@notices.example.org>, relay=[^ ]*\[lmtp-iq/lmtp\], .*status=sent' 1 60
	[ "$(boot_count alice)" -eq $((before + 1)) ]
	[ "$(boot_in systemctl show -P NAccepted lmtp-iq-out.socket)" -ge 1 ]
	boot_in postmulti -i postfix-out -p stop
}
