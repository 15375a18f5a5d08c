# SPDX-License-Identifier: ISC
# A test Sendmail: the Debian cf tree copied into a temp dir with the
# project's m4 files, a sendmail.cf built from the sendmail.mc and the
# access file Debian ships with the lines of tests/fixtures/debian.mc
# spliced in (the site's: the notice route, the feature, SMTP AUTH),
# and every path (queue, aliases, maps, hosts) inside that dir.  It is
# run in a private mount namespace with its own /etc/hosts, so that it
# finds a fully qualified name at once instead of stalling for 60 s.
#
# Needs cyrus.bash's Cyrus running (CYRUS_SOCK).  Bounces to
# anything@capture.test are appended to $SM_DIR/captured.
# SM_IQ_MODE=lmtp builds the mailer in LMTP mode (lmtp-iq -l, F=mzX).
# SM_IQ_ARGS replaces the mailer's A= (DIR stands for the temp dir), and
# SM_MAILERTABLE adds mailertable lines.  SM_NOTICE_SENDERS is the notice sender list, given to
# the feature and to lmtp-iq.conf (notices@capture.test by default);
# SM_NOTICE_LOGINS the feature's login:sender pairs (quotajob may send
# as the first notice sender).
# SM_MC names another .mc in tests/fixtures (readme.mc: the README's
# lines alone), SM_MC_LINES a file of lines it takes in.  SM_LOCAL_MAILER=lmtp_iq makes lmtp_iq (LMTP mode) the
# local mailer in place of cyrusv2.  sm runs SM_CF (test.cf unless set),
# and with a $SM_DIR/passwd file it sees that file as /etc/passwd.
#
# Addresses in the test world: capture.test (a capturing mailer), alias
# fwd@localhost and virtual user fwd@virt.test both point into the notice
# domain (alice@notices.example.test).

SM_BIN=/usr/sbin/sendmail-mta
SM_CF_TREE=/usr/share/sendmail/cf

sendmail_setup() {
	need_package sendmail-bin "$SM_BIN" || return 1
	need_package sendmail-cf "$SM_CF_TREE/m4/cf.m4" || return 1
	need_package m4 /usr/bin/m4 || return 1
	SM_DIR=$(make_tmp sendmail)
	chmod 755 "$SM_DIR"
	local d=$SM_DIR host
	host=$(hostname)
	cp -r "$SM_CF_TREE" "$d/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$d/cf/mailer/"
	cp "$TOP/m4/lmtp_iq_notices.m4" "$d/cf/feature/"
	mkdir -m 700 "$d/mqueue"
	mkdir -m 700 "$d/host_status"
	mkdir -m 755 "$d/bin"
	# The mailer runs as cyrus: it needs a binary and a config it can read.
	install -m 755 "$LMTP_IQ" "$d/bin/lmtp-iq"
	SM_NOTICE_SENDERS=${SM_NOTICE_SENDERS-notices@capture.test}
	SM_NOTICE_LOGINS=${SM_NOTICE_LOGINS-quotajob:${SM_NOTICE_SENDERS%% *}}
	conf_write "$d/lmtp-iq.conf" server "unix:$CYRUS_SOCK" syslog no timeout 5
	[ -n "$SM_NOTICE_SENDERS" ] &&
		conf_add "$d/lmtp-iq.conf" notice_senders "$SM_NOTICE_SENDERS"
	chmod 644 "$d/lmtp-iq.conf"
	# Senders' domains must resolve for SMTP clients (else 553 5.1.8).
	# One name a line: a second name on a line would be canonified to
	# the first.
	printf '127.0.0.1 localhost\n127.0.1.1 %s.example.test %s\n' "$host" "$host" > "$d/hosts"
	printf '192.0.2.%s %s\n' 1 capture.test 2 notices.example.test 3 virt.test \
		4 example.org 5 notices.example.org >> "$d/hosts"
	printf 'hosts files\naliases files\n' > "$d/service.switch"
	printf 'postmaster: postmaster@capture.test\nMAILER-DAEMON: postmaster\nfwd: alice@notices.example.test\n' > "$d/aliases"
	printf 'fwd@virt.test\talice@notices.example.test\n' > "$d/virtusertable"
	printf 'notices.example.test\tlmtp_iq:localhost\ncapture.test\tcapture:localhost\n%s' \
		"${SM_MAILERTABLE:-}" > "$d/mailertable"
	printf '198.51.100.10\n10.20\n' > "$d/trusted"
	printf 'LmtpIq:198.51.100.50\tOK\nLmtpIq:10.9\tOK\nTo:notices.example.test\tRELAY\nConnect:%s\tRELAY\n' \
		"$SM_RELAYHOST" > "$d/access"
	touch "$d/captured"
	chmod 666 "$d/captured"
	# The capture mailer appends each message it gets, then a separator.
	printf '#!/bin/sh\ncat >> %s/captured\necho ===== >> %s/captured\n' "$d" "$d" > "$d/bin/capture"
	chmod 755 "$d/bin/capture"
	local mode=${SM_IQ_MODE:-argv} args local=${SM_LOCAL_MAILER:-cyrusv2}
	[ "$local" = lmtp_iq ] && mode=lmtp
	args='lmtp-iq -C DIR/lmtp-iq.conf -i $i -f $g -- $u'
	[ "$mode" = lmtp ] && args='lmtp-iq -l -C DIR/lmtp-iq.conf'
	args=${SM_IQ_ARGS:-$args}
	local mc=$TOP/tests/fixtures/${SM_MC:-debian.mc}
	if [ "${SM_MC:-debian.mc}" = debian.mc ]; then
		# Debian's own sendmail.mc and access file, the fixture's lines
		# spliced in (debian.mc says where and why); the site's own
		# access entries follow Debian's.
		cp /usr/share/sendmail/examples/sasl/sasl.m4 "$d/cf/debian/sasl.m4"
		cat /usr/share/sendmail/examples/db/access "$d/access" > "$d/access.stock"
		mv "$d/access.stock" "$d/access"
		sm_debian_mc "$d/cf/debian/sendmail.mc" "$mc" > "$d/stock.mc" || return 1
		mc=$d/stock.mc
	fi
	sed -e "s|@IQ_ARGS@|${args//DIR/$d}|" -e "s|@IQ_MODE@|$mode|" -e "s|@DIR@|$d|g" -e "s|@CYRUS_SOCK@|$CYRUS_SOCK|g" \
		-e "s|@NOTICE_SENDERS@|$SM_NOTICE_SENDERS|" -e "s|@NOTICE_LOGINS@|$SM_NOTICE_LOGINS|" -e "s|@LOCAL_MAILER@|$local|" \
		"$mc" > "$d/test.mc"
	# SM_MC_LINES: a file of .mc lines for the @MC_LINES@ marker.
	[ -z "${SM_MC_LINES:-}" ] || sed -i -e "/^@MC_LINES@\$/r $SM_MC_LINES" "$d/test.mc"
	sed -i -e '/^@MC_LINES@$/d' "$d/test.mc"
	m4 -D_CF_DIR_="$d/cf/" "$d/cf/m4/cf.m4" "$d/test.mc" > "$d/test.cf" || return 1
	makemap hash "$d/mailertable" < "$d/mailertable"
	makemap hash "$d/access" < "$d/access"
	makemap hash "$d/virtusertable" < "$d/virtusertable"
	sm -bi >/dev/null
}

# sm_debian_mc STOCK FIXTURE: Debian's sendmail.mc with the fixture's
# sections in: @@PATHS@@ after DOMAIN(`debian-mta'), @@SITE@@ before
# MAILER_DEFINITIONS, @@MAILERS@@ at the end; its include of cf.m4 goes
# (the harness reads its own copy of the cf tree first), its access map
# is the test's, and its includes of /etc/mail/m4 files become sinclude
# (a root without them).  Nothing else of it changes.
sm_debian_mc() {
	grep -q "^FEATURE(\`delay_checks', \`friend', \`n')dnl" "$1" || {
		echo "sm_debian_mc: $1 has no delay_checks with friend" >&2; return 1; }
	awk -v fixture="$2" '
		BEGIN { while ((getline l < fixture) > 0) {
				if (l ~ /^@@[A-Z]+@@$/) { sec = l; continue }
				if (sec != "" && l !~ /^dnl /) part[sec] = part[sec] l "\n" } }
		/^include\(`\/usr\/share\/sendmail\/cf\/m4\/cf\.m4'\'')dnl/ { next }
		/^FEATURE\(`access_db'\'', , `skip'\'')dnl/ {
			print "FEATURE(`access_db'\'', `hash -T<TMPF> -o @DIR@/access'\'', `skip'\'')dnl"; next }
		/^include\(`\/etc\/mail\/m4\// { sub(/^include/, "sinclude") }
		/^MAILER_DEFINITIONS/ { printf "%s", part["@@SITE@@"] }
		{ print }
		/^DOMAIN\(`debian-mta'\''\)dnl/ { printf "%s", part["@@PATHS@@"] }
		END { printf "%s", part["@@MAILERS@@"] }' "$1"
}

# sm_sasl_users: SMTP AUTH for the daemon (sm_daemon_start after it):
# Sendmail's SASL config in $SM_DIR/sasl2 (SM_SASL_DIR), sasldb users bob
# (bob-secret, an ordinary user) and quotajob (job-secret, the login
# SM_NOTICE_LOGINS lists for the notice sender).
sm_sasl_users() {
	local fqdn
	fqdn=$(hostname).example.test
	SM_SASL_DIR=$SM_DIR/sasl2
	mkdir -m 755 "$SM_SASL_DIR"
	printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s/sasldb2\nmech_list: PLAIN LOGIN\n' \
		"$SM_DIR" > "$SM_SASL_DIR/Sendmail.conf"
	echo bob-secret | saslpasswd2 -p -c -f "$SM_DIR/sasldb2" -u "$fqdn" bob
	echo job-secret | saslpasswd2 -p -c -f "$SM_DIR/sasldb2" -u "$fqdn" quotajob
	chmod 600 "$SM_DIR/sasldb2"
	export SM_SASL_DIR
}

# auth_plain USER PASSWORD: the AUTH PLAIN command a client sends.
auth_plain() {
	printf 'AUTH PLAIN %s' "$(printf '\0%s\0%s' "$1" "$2" | base64 -w0)"
}

sendmail_teardown() {
	sm_daemon_stop
	stop_pid "${SM_LOG_PID:-}"
	SM_LOG_PID=
	if [ -n "${SM_DIR:-}" ]; then rm -rf "$SM_DIR"; fi
	SM_DIR=
}

# sm_conf KEY [VALUE]: set (or, without VALUE, remove) a key of the
# mailer's lmtp-iq.conf; it is read anew by every delivery.
sm_conf() {
	conf_set "$SM_DIR/lmtp-iq.conf" "$@"
}

# The outside world: a Sendmail daemon on port 25 inside a network
# namespace of its own, whose lo also carries 203.0.113.9 (an untrusted
# client), 198.51.100.10 (in the trusted file; Debian's access file
# refuses 192.0.2/24) and 203.0.113.20 (a host Sendmail relays for, a
# Connect: RELAY access entry, as a site's front MX: not listed for
# notices).  Clients bind one of them as their source address, so that
# Sendmail sees a real non-loopback peer.  The daemon only queues
# (-odq): deliveries happen in the test's own queue runs (sm -qf).
SM_OUTSIDER=203.0.113.9
SM_TRUSTED=198.51.100.10
SM_RELAYHOST=203.0.113.20

sm_daemon_start() {
	# SM_SASL_DIR: a SASL config directory (Sendmail.conf) the daemon
	# reads in place of the system's /usr/lib/sasl2.
	local setup
	setup="mount --bind $(printf %q "$SM_DIR/hosts") /etc/hosts"
	[ -z "${SM_SASL_DIR:-}" ] ||
		setup="$setup && mount --bind $(printf %q "$SM_SASL_DIR") /usr/lib/sasl2"
	outside_ns "$setup" "$SM_OUTSIDER" "$SM_TRUSTED" "$SM_RELAYHOST" || return 1
	SM_NS_PID=$NS_PID
	nsenter -t "$SM_NS_PID" -n -m "$SM_BIN" -C "$SM_DIR/test.cf" -bd -odq 3>&- || return 1
	wait_until 10 "nsenter -t $SM_NS_PID -n bash -c 'exec 3<>/dev/tcp/127.0.0.1/25' 2>/dev/null" ||
		return 1
	wait_file "$SM_DIR/sendmail.pid"
}

# Serve Cyrus's Sieve "sendmail -bs" (cyrus.bash) with the test Sendmail,
# run as root as a real sendmail binary would be.
sm_bs_serve() {
	printf '#!/bin/sh\nexec unshare -m sh -c '"'"'mount --bind "$1" /etc/hosts && exec "$2" -C "$3" -bs'"'"' sh %s %s %s\n' \
		"$SM_DIR/hosts" "$SM_BIN" "$SM_DIR/test.cf" > "$SM_DIR/bin/sm-bs"
	chmod 755 "$SM_DIR/bin/sm-bs"
	socat UNIX-LISTEN:"$CYRUS_DIR/smtp.sock",fork,mode=777 \
		EXEC:"$SM_DIR/bin/sm-bs",pipes 3>&- &
	SM_BS_PID=$!
	wait_until 5 "[ -S $(printf %q "$CYRUS_DIR/smtp.sock") ]"
}

sm_daemon_stop() {
	stop_pid "${SM_BS_PID:-}"
	SM_BS_PID=
	local pid
	if pid=$(head -1 "${SM_DIR:-/nonexistent}/sendmail.pid" 2>/dev/null); then
		stop_pid "$pid"
	fi
	rm -f "${SM_DIR:-/nonexistent}/sendmail.pid"
	stop_pid "${SM_NS_PID:-}"
	SM_NS_PID=
}

# smtp_from SOURCE LINE...: one SMTP session with the daemon from SOURCE.
# Each LINE is sent after the reply to the one before; a LINE holding a
# whole message (CRLF lines) must end with "\r\n.".  Prints every reply
# line.
smtp_from() {
	local src=$1
	shift
	smtp_chat "$@" -- nsenter -t "$SM_NS_PID" -n socat - "TCP:127.0.0.1:25,bind=$src"
}

# sm_bs LINE...: the same with "sendmail -bs" (local submission), which
# greets only after Debian's greet_pause as well.
sm_bs() {
	smtp_chat "$@" -- sm -bs
}

# smtp_chat LINE... -- COMMAND...: the session of smtp_from with COMMAND
# as the server.
smtp_chat() {
	local lines=() reply line
	while [ "$1" != -- ]; do lines+=("$1"); shift; done
	shift
	coproc SMTP { "$@" 2>/dev/null; }
	smtp_reply() {
		while IFS= read -r -t 20 reply <&"${SMTP[0]}"; do
			printf '%s\n' "${reply%$'\r'}"
			[ "${reply:3:1}" = - ] || return 0
		done
		return 1
	}
	smtp_reply || return 1
	for line in "${lines[@]}"; do
		printf '%s\r\n' "$line" >&"${SMTP[1]}"
		smtp_reply || return 1
	done
	# shellcheck disable=SC1083,SC2093 # closes the coprocess's input
	exec {SMTP[1]}>&-
	wait "$SMTP_PID" 2>/dev/null || true
}

# A message as smtp_from sends it after DATA.
smtp_message() {	# smtp_message SUBJECT
	printf 'From: someone@capture.test\r\nTo: you@localhost\r\nSubject: %s\r\nMessage-ID: <%s.%s@capture.test>\r\n\r\nBody of %s.\r\n.' \
		"$1" "$RANDOM" "$$" "$1"
}

# sm_log_start: a mail log for the test Sendmail and the lmtp-iq it
# runs, $SM_DIR/maillog (logdev_start); sm_logged ARGS... runs
# sendmail-mta with it (and its own /etc/hosts); sm_log_stop ends it.
sm_log_start() {
	logdev_start "$SM_DIR" "$SM_DIR/maillog"
	SM_LOG_PID=$LOGDEV_PID
}

sm_logged() {
	unshare -m sh -c "$LOGDEV_MOUNT"' && mount --bind "$0/hosts" /etc/hosts &&
		exec "$@"' "$SM_DIR" "$SM_BIN" -C "${SM_CF:-$SM_DIR/test.cf}" "$@"
}

sm_log_stop() {
	sleep 0.2
	stop_pid "${SM_LOG_PID:-}"
	SM_LOG_PID=
}

# sm_trail SENDER RCPT USER: a message from SENDER to RCPT delivered
# by the test Sendmail at once (-odi) with its mail log on; Sendmail's
# line for RCPT through lmtp_iq gives the queue id, which finds
# lmtp-iq's line for USER (naming SENDER and the message's Message-ID),
# which leads to Cyrus's own line (cyrus_trail: the suite sets
# CYRUS_LOG=1).  TRAIL holds lmtp-iq's line.
sm_trail() {
	local qid msgid="<trail.$$.$RANDOM@example.test>"
	sm_conf syslog yes
	: > "$SM_DIR/maillog"
	sm_log_start
	printf 'Message-ID: %s\nSubject: trail\n\nnotice\n' "$msgid" |
		sm_logged -odi -f "$1" "$2"
	sm_log_stop
	sm_conf syslog no
	qid=$(log_lines "$SM_DIR/maillog" |
		sed -n "s/.*sendmail\[[0-9]*\]: \([0-9A-Za-z]*\): to=<\{0,1\}$2>\{0,1\}, .*mailer=lmtp_iq, .*stat=Sent.*/\1/p" | head -1)
	[ -n "$qid" ] || { echo "Sendmail logged no delivery to $2"; log_lines "$SM_DIR/maillog"; return 1; }
	TRAIL=$(iq_line "$SM_DIR/maillog" "$qid" "$3") ||
		{ echo "no lmtp-iq line for $qid"; log_lines "$SM_DIR/maillog"; return 1; }
	[[ "$TRAIL" == *", from=<$1>, msgid=$msgid, "* ]] || { echo "not $1 and $msgid: $TRAIL"; return 1; }
	cyrus_trail "$TRAIL" "$3"
}

# sm ARGS...: run the test Sendmail with its own /etc/hosts.
sm() {
	unshare -m sh -c 'mount --bind "$1" /etc/hosts && cf=$2 && shift 2 &&
		{ [ ! -f "${cf%/*}/passwd" ] || mount --bind "${cf%/*}/passwd" /etc/passwd; } &&
		exec "$0" -C "$cf" "$@"' "$SM_BIN" "$SM_DIR/hosts" "${SM_CF:-$SM_DIR/test.cf}" "$@"
}

# -bt output for one address through ruleset 3,0 (resolution).
resolve() {
	printf '3,0 %s\n' "$1" | sm -bt 2>/dev/null | grep '^parse *returns:'
}

# check_rcpt as an SMTP client would meet it: MACRO=VALUE arguments set
# macros ({client_addr}, {auth_type}); arguments starting with "." are
# -bt commands given as they are (".CR domain" adds to class R).
check_rcpt_as() {	# check_rcpt_as ADDR [MACRO=VALUE | .CMD]...
	local addr=$1 m
	shift
	{ for m in "$@"; do
		case $m in
		.*) printf '%s\n' "$m" ;;
		# The sender: $f, and {mail_from} for delay_checks.
		f=*) printf '.Df%s\n.D{mail_from}<%s>\n' "${m#*=}" "${m#*=}" ;;
		*) printf '.D{%s}%s\n' "${m%%=*}" "${m#*=}" ;;
		esac
	  done
	  printf 'check_rcpt <%s>\n' "$addr"; } |
		sm -bt 2>/dev/null | grep '^check_rcpt *returns:'
}

# Messages waiting in the test queue.
sm_queued() {
	find "$SM_DIR/mqueue" -name 'qf*' | wc -l
}

# A queue run that does not race the daemon: a message the daemon's
# child still holds locked after its reply to QUIT is skipped by -qf, so
# run again until every queued message has been tried once (its qf file
# has left "N0").
sm_queue_run() {
	local tries=50
	while :; do
		sm -qf "$@" || return
		grep -lx 'N0' "$SM_DIR"/mqueue/qf* >/dev/null 2>&1 || return 0
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { echo "sm_queue_run: a message was never tried" >&2; return 1; }
		sleep 0.1
	done
}

# teardown_file for a suite that started a Cyrus and a test Sendmail.
# sm_suite_start: a Sendmail suite's setup_file up to the daemon: root
# (1 when the suite is skipped), Cyrus with alice, the test Sendmail as
# the SM_* variables ask; what the tests read is exported.  The suite
# adds its aliases and wrappers, then starts the daemon if it needs one.
sm_suite_start() {
	suite_needs_root "Sendmail and Cyrus run from temp dirs, in private namespaces" || return 1
	cyrus_suite_start
	sendmail_setup
	export SM_DIR SM_NS_PID SM_NOTICE_SENDERS
}

# sm_test_setup: each test of a Sendmail suite starts with $MSG (and
# LMTPIQ_CONF in it), a notice to send, an empty queue, no captured
# bounces and notice_senders as the suite's Sendmail has them.
sm_test_setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	LMTPIQ_CONF=$MSG/conf
	printf 'From: postmaster@example.test\nSubject: Your mailbox is over quota\n\nPlease make room.\n' > "$MSG/notice"
	rm -f "$SM_DIR"/mqueue/*
	: > "$SM_DIR/captured"
	sm_conf notice_senders "$SM_NOTICE_SENDERS"
}

sm_test_teardown() {
	rm -rf "$MSG"
}

sendmail_suite_stop() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	sendmail_teardown
	cyrus_stop
}

# sm_alias NAME TARGET: one more alias in the test Sendmail, rebuilt.
sm_alias() {
	printf '%s: %s\n' "$1" "$2" >> "$SM_DIR/aliases"
	sm -bi >/dev/null
}
