# SPDX-License-Identifier: ISC
# A real Postfix (Debian's package) in a temp dir, for tests/postfix/.
# Debian's postfix and sendmail-bin conflict, so these run in a root of
# their own (make check-postfix).  postfix_setup builds the instance:
# Debian's own master.cf and a main.cf of the test's, each with the
# lines docs/postfix.md gives (read from the guide: what the tests prove
# is what a site copies), the maps the guide names, and lmtp-iq's config.
# postfix_start runs master in the foreground (stopped by PID) inside a
# network and mount namespace of its own: its lo also carries
# $PF_OUTSIDER and $PF_TRUSTED (in mynetworks), and Cyrus's socket
# directory is bound into the queue directory, where Postfix's chrooted
# lmtp client can reach it as unix:cyrus/lmtp; its /dev has a log
# socket that writes $PF_DIR/iq.log (logdev_start), where lmtp-iq's
# syslog lines land on both ways (Postfix writes $PF_DIR/maillog).
# pf_listen starts the lmtp-iq listener from the shipped systemd units'
# lines, through systemd-socket-activate, in that mount namespace.

PF_OUTSIDER=203.0.113.9
PF_TRUSTED=192.0.2.10
PF_UNITS=$TOP/systemd

# guide_block WORD: docs/postfix.md's first ``` block that holds WORD.
guide_block() {
	doc_block docs/postfix.md "$1"
}

# unit_value FILE KEY: KEY's value in a shipped unit file.
unit_value() {
	sed -n "s/^$2=//p" "$PF_UNITS/$1" | head -1
}

# The guide's paths as they are in this instance: the maps in its
# config directory, the mailer built here with the test's config.
pf_paths() {
	sed -e "s|/etc/postfix|$PF_DIR/etc|g" \
		-e "s|/usr/libexec/lmtp-iq|$LMTP_IQ -C $PF_DIR/lmtp-iq.conf|g"
}

postfix_setup() {
	need_package postfix /usr/sbin/postfix || return 1
	PF_DIR=$(make_tmp postfix)
	chmod 755 "$PF_DIR"	# the mailer runs as cyrus and reads its config here
	local e=$PF_DIR/etc q=$PF_DIR/spool f
	mkdir -p "$e" "$q" "$PF_DIR/data" "$q/etc"
	chown postfix "$PF_DIR/data"
	# Debian's master.cf as installed, then the guide's lines.
	{ cat /etc/postfix/master.cf; guide_block '# /etc/postfix/master.cf'
	  guide_block '# /etc/postfix/master.cf: the pipe way with virtual domains'
	  guide_block '# /etc/postfix/master.cf: an lmtp client of its own'; } | pf_paths > "$e/master.cf"
	{
		echo "compatibility_level = 3.6"
		echo "queue_directory = $q"
		echo "data_directory = $PF_DIR/data"
		echo "maillog_file = $PF_DIR/maillog"
		echo "maillog_file_prefixes = $PF_DIR"
		echo "myhostname = mx.example.org"
		echo "mydomain = example.org"
		echo "myorigin = \$mydomain"
		echo "mydestination = \$myhostname, localhost"
		echo "inet_interfaces = all"
		echo "inet_protocols = ipv4"
		echo "mynetworks = 127.0.0.0/8 $PF_TRUSTED/32"
		echo "smtpd_banner = \$myhostname ESMTP"
		# The users are Cyrus's, not Unix accounts: Cyrus decides.
		echo "local_recipient_maps ="
		echo "alias_maps ="
		echo "alias_database ="
		echo "biff = no"
		echo "maximal_backoff_time = 60s"
		echo "minimal_backoff_time = 30s"
		echo "queue_run_delay = 30s"
		guide_block '# /etc/postfix/main.cf: the notice route'
		guide_block '# /etc/postfix/main.cf: the pipe way'
		guide_block '# /etc/postfix/main.cf: notice senders'
		guide_block '# /etc/postfix/main.cf: all local mail'
		# SMTP AUTH for every user (plumbing: Cyrus SASL, sasldb).
		echo "smtpd_sasl_auth_enable = yes"
		echo "smtpd_sasl_type = cyrus"
		echo "smtpd_sasl_path = smtpd"
		echo "cyrus_sasl_config_path = $e/sasl"
		printf '%s\n' "${PF_MAIN_EXTRA:-}"
	} | pf_paths > "$e/main.cf"
	guide_block '# /etc/postfix/transport' | pf_paths > "$e/transport"
	[ -z "${PF_TRANSPORT:-}" ] || printf '%s\n' "$PF_TRANSPORT" > "$e/transport"
	for f in senders domains logins; do
		guide_block "# /etc/postfix/lmtp-iq-$f" > "$e/lmtp-iq-$f"
		postmap "hash:$e/lmtp-iq-$f" || return 1
	done
	guide_block '# /etc/postfix/lmtp-iq-local' > "$e/lmtp-iq-local"
	guide_block '# /etc/postfix/lmtp-iq-clients' | sed "s/^192\.0\.2\.10 /$PF_TRUSTED /" > "$e/lmtp-iq-clients"
	postmap "hash:$e/transport" || return 1
	# SASL users for smtpd (chrooted: the sasldb is read inside the
	# queue directory): bob, an ordinary user; quotajob, the login that
	# owns the notice sender (lmtp-iq-logins).
	mkdir -p "$e/sasl"
	printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: /etc/sasldb2\nmech_list: PLAIN LOGIN\n' \
		> "$e/sasl/smtpd.conf"
	echo bob-secret | saslpasswd2 -p -c -f "$q/etc/sasldb2" -u mx.example.org bob
	echo job-secret | saslpasswd2 -p -c -f "$q/etc/sasldb2" -u mx.example.org quotajob
	chgrp postfix "$q/etc/sasldb2"
	chmod 640 "$q/etc/sasldb2"
	# As Debian's postfix start does: what the chrooted daemons read.
	for f in services resolv.conf hosts localtime nsswitch.conf host.conf; do
		[ -e "/etc/$f" ] && cp -L "/etc/$f" "$q/etc/$f"
	done
	# postqueue and postdrop (set-gid) take -c only for a directory the
	# default main.cf names.
	if [ ! -e "$PF_DIR/main.cf.saved" ]; then cp /etc/postfix/main.cf "$PF_DIR/main.cf.saved"; fi
	postconf -e "alternate_config_directories = $e"
	# lmtp-iq's own config, for both ways.
	conf_write "$PF_DIR/lmtp-iq.conf" server "unix:$CYRUS_SOCK" timeout 10 \
		notice_senders "$(guide_block 'notice_senders = ' | sed -n 's/^notice_senders = //p')"
	chmod 644 "$PF_DIR/lmtp-iq.conf"
	postfix -c "$e" set-permissions >/dev/null 2>&1
	postfix -c "$e" check || return 1
}

postfix_start() {
	local q=$PF_DIR/spool
	mkdir -p "$q/cyrus"
	logdev_start "$PF_DIR" "$PF_DIR/iq.log"
	PF_LOG_PID=$LOGDEV_PID
	outside_ns "sh -c $(printf %q "$LOGDEV_MOUNT") $(printf %q "$PF_DIR") &&
		mount --bind $(printf %q "$CYRUS_DIR/socket") $(printf %q "$q/cyrus")" \
		"$PF_OUTSIDER" "$PF_TRUSTED" || return 1
	PF_NS_PID=$NS_PID
	wait_until 10 "nsenter -t $PF_NS_PID -m test -S $(printf %q "$q/cyrus/lmtp")" || return 1
	nsenter -t "$PF_NS_PID" -n -m /usr/lib/postfix/sbin/master -c "$PF_DIR/etc" -d 3>&- &
	PF_PID=$!
	wait_until 10 "nsenter -t $PF_NS_PID -n bash -c 'exec 3<>/dev/tcp/127.0.0.1/25' 2>/dev/null" ||
		return 1
	# smtp_from (sendmail.bash) speaks SMTP inside this namespace.
	SM_NS_PID=$PF_NS_PID
}

postfix_stop() {
	stop_pid "${PF_LISTEN_PID:-}"
	PF_LISTEN_PID=
	stop_pid "${PF_PID:-}"
	PF_PID=
	stop_pid "${PF_NS_PID:-}"
	PF_NS_PID=
	stop_pid "${PF_LOG_PID:-}"
	PF_LOG_PID=
	if [ -n "${PF_DIR:-}" ] && [ -e "$PF_DIR/main.cf.saved" ]; then
		cp "$PF_DIR/main.cf.saved" /etc/postfix/main.cf
	fi
	if [ -n "${PF_DIR:-}" ]; then rm -rf "$PF_DIR"; fi
	PF_DIR=
}

# pf_listen: the lmtp-iq listener, as lmtp-iq.socket and lmtp-iq@.service
# say: ListenStream (in this queue directory), Accept=yes, ExecStart run
# as User:Group, the socket given to SocketUser with SocketMode.  -C
# names the test's config; nothing else differs from the units.
pf_listen() {
	local path user group exec mode owner
	path=$(unit_value lmtp-iq.socket ListenStream | sed "s|/var/spool/postfix|$PF_DIR/spool|")
	[ "$(unit_value lmtp-iq.socket Accept)" = yes ] || return 1
	user=$(unit_value lmtp-iq@.service User)
	group=$(unit_value lmtp-iq@.service Group)
	exec=$(unit_value lmtp-iq@.service ExecStart)
	mode=$(unit_value lmtp-iq.socket SocketMode)
	owner=$(unit_value lmtp-iq.socket SocketUser):$(unit_value lmtp-iq.socket SocketGroup)
	exec=${exec/#\/usr\/libexec\/lmtp-iq/$LMTP_IQ -C $PF_DIR/lmtp-iq.conf}
	# As the unit's DirectoryMode (0755 by default) makes it.
	install -d -m 0755 "$(dirname "$path")"
	rm -f "$path"
	# In Postfix's mount namespace, for the log socket (postfix_start).
	# shellcheck disable=SC2086 # ExecStart's words
	nsenter -t "$PF_NS_PID" -m systemd-socket-activate -l "$path" --accept --inetd \
		setpriv --reuid="$user" --regid="$group" --clear-groups $exec \
		2>>"$PF_DIR/listen.log" 3>&- &
	PF_LISTEN_PID=$!
	wait_until 10 "[ -S $(printf %q "$path") ]" || return 1
	chown "$owner" "$path"
	chmod "$mode" "$path"
}

# pf COMMAND ARGS...: a Postfix command for this instance (postqueue,
# postsuper, sendmail, postfix) inside its namespace.  MAIL_CONFIG, not
# -c: sendmail(1) has no -c, and the set-gid postqueue and postdrop
# accept the directory because the default main.cf lists it.
pf() {
	nsenter -t "$PF_NS_PID" -n -m env MAIL_CONFIG="$PF_DIR/etc" "$@"
}

# pf_hold TRANSPORT...: mail for these transports waits in the queue
# (defer_transports) until pf_release and postqueue -f let it go all at
# once, as a backlog Postfix delivers with its default concurrency and
# connection caching.
pf_hold() {
	postconf -c "$PF_DIR/etc" -e "defer_transports = $*"
	pf postfix reload >/dev/null 2>&1
}

pf_release() {
	postconf -c "$PF_DIR/etc" -e 'defer_transports ='
	pf postfix reload >/dev/null 2>&1
}

# pf_log_count PATTERN: how many mail log lines match PATTERN (grep -E),
# as pf_log_wait counts them: a test takes the count before it sends,
# then waits for that count plus what it sent.
pf_log_count() {
	grep -cE "$1" "$PF_DIR/maillog" 2>/dev/null || true
}

# pf_log_wait PATTERN [COUNT] [SECONDS]: until the mail log has COUNT (1)
# lines matching PATTERN (grep -E), within SECONDS (60).
pf_log_wait() {
	local n=${2:-1}
	wait_until "${3:-60}" "[ \"\$(pf_log_count $(printf %q "$1"))\" -ge $n ]" && return 0
	echo "mail log: not $n lines like /$1/ (found $(pf_log_count "$1"))"
	tail -20 "$PF_DIR/maillog"
	return 1
}
