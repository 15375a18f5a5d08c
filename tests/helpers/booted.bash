# SPDX-License-Identifier: ISC
# A Debian root booted with systemd as PID 1 (systemd-nspawn --boot), for
# tests/booted/: Debian's Postfix and Cyrus as the packages install and
# start them, lmtp-iq installed with make install, the shipped units
# enabled, and Postfix set up with docs/postfix.md's postconf commands
# (read from the guide).  The root is tests/roots/mkroot's for
# BOOT_RELEASE, seen through a throwaway overlay; the container has a
# network of its own (--private-network: its lo only) and its own
# cgroup2 tree (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: Debian 13's systemd
# will not boot on the cgroup v1 tree a host without systemd may have).
# boot_in CMD... runs CMD inside it (all its namespaces).

# boot_start: build the overlay, install and configure, boot, wait until
# systemd says the boot is done.
boot_start() {
	local root r
	# shellcheck disable=SC2046 # one word per package
	root=$("$TOP/tests/roots/mkroot" "$BOOT_RELEASE" $("$TOP/tests/deps" --list postfix)) || return 1
	BOOT_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/lmtpiq-booted.XXXXXX")
	mkdir "$BOOT_DIR/upper" "$BOOT_DIR/work" "$BOOT_DIR/root"
	mount -t overlay overlay \
		-o "lowerdir=$root,upperdir=$BOOT_DIR/upper,workdir=$BOOT_DIR/work" "$BOOT_DIR/root"
	r=$BOOT_DIR/root
	mkdir -p "$r/build/lmtp-iq"
	(cd "$TOP" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) |
		tar -xf - -C "$r/build/lmtp-iq"
	chroot "$r" sh -c 'cd /build/lmtp-iq && make -s WERROR=1 mailer/lmtp-iq mailer/lmtp-iq-quota-warn && make -s install' \
		> "$BOOT_DIR/build.log" 2>&1 || { cat "$BOOT_DIR/build.log"; return 1; }
	boot_configure "$r"
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q -D "$r" --boot \
		--register=no --keep-unit --private-network -M "lmtpiq-$BOOT_RELEASE" \
		< /dev/null > "$BOOT_DIR/console.log" 2>&1 &
	BOOT_NSPAWN_PID=$!
	wait_until 30 'BOOT_PID=$(boot_init_pid) && [ -n "$BOOT_PID" ]' ||
		{ echo "no systemd came up"; cat "$BOOT_DIR/console.log"; return 1; }
	BOOT_PID=$(boot_init_pid)
	# systemctl talks to PID 1 on its private socket, made early on.
	wait_until 60 'boot_in test -S /run/systemd/private' ||
		{ echo "systemd made no control socket"; cat "$BOOT_DIR/console.log"; return 1; }
	timeout 120 nsenter -t "$BOOT_PID" -a systemctl is-system-running --wait > "$BOOT_DIR/state" 2>&1 || true
	grep -Eq '^(running|degraded)$' "$BOOT_DIR/state" ||
		{ echo "boot: $(cat "$BOOT_DIR/state")"; boot_in systemctl --failed --no-pager; return 1; }
	# Each mailbox made by a first delivery of its own: lmtpd's
	# autocreate races with itself when fifteen deliveries to a new
	# mailbox come at once (the loser says "451 4.3.0 Mailbox already
	# exists"), which is Cyrus's business, not the burst's.
	local u n=0
	for u in alice bob erin; do
		printf 'Subject: first\n\nx\n' | boot_in sendmail -f quota-warn@example.org -- "$u@notices.example.org"
		n=$((n + 1))
		wait_until 60 "[ \"\$(boot_log_count 'status=sent')\" -ge $n ]" ||
			{ echo "no first delivery to $u"; boot_log | tail -5; return 1; }
	done
}

# The container's PID 1: nspawn's descendant running systemd.
boot_init_pid() {
	local p c
	for p in $(ps -o pid= --ppid "$BOOT_NSPAWN_PID") ; do
		for c in "$p" $(ps -o pid= --ppid "$p"); do
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && { echo "$c"; return 0; }
		done
	done
	return 1
}

boot_in() {
	nsenter -t "$BOOT_PID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}

# Cyrus as Debian ships it (cyrus.conf untouched) with mailboxes made on
# first delivery, lmtp-iq's config, Postfix by the guide's commands.
boot_configure() {
	local r=$1
	# Debian's imapd.conf names some of these already: Cyrus refuses
	# a key given twice.
	sed -i '/^autocreate_\(post\|quota\|users\):/d' "$r/etc/imapd.conf"
	# Debian's cyrus.conf also starts pop3d, nntpd and httpd, from
	# packages the root does not have (cyrus-imapd only recommends
	# them; master gives up on a missing one): those lines go, the rest
	# (lmtpunix with its maxchild) stays as shipped.
	local cmd
	for cmd in $(sed -n 's/^[[:space:]]*[a-z0-9]*[[:space:]]*cmd="\([a-z0-9]*\)[ "].*/\1/p' "$r/etc/cyrus.conf"); do
		[ -e "$r/usr/lib/cyrus/bin/$cmd" ] ||
			sed -i "/^[[:space:]]*[a-z0-9]*[[:space:]]*cmd=\"${cmd}[ \"]/s/^/#/" "$r/etc/cyrus.conf"
	done
	printf 'autocreate_post: 1\nautocreate_quota: 100\nautocreate_users: alice bob erin\n' >> "$r/etc/imapd.conf"
	mkdir -p "$r/etc/mail"
	printf '%s\n' 'server = /run/cyrus/socket/lmtp' 'notice_senders = quota-warn@example.org' \
		'refusal_notice = yes' 'refusal_notice_from = quota-notice@example.org' \
		'refusal_notice_template = /usr/share/lmtp-iq/refusal-notice' \
		'refusal_notice_dir = /var/lib/lmtp-iq' > "$r/etc/mail/lmtp-iq.conf"
	chmod 644 "$r/etc/mail/lmtp-iq.conf"
	chroot "$r" install -d -m 700 -o cyrus /var/lib/lmtp-iq
	{ doc_block docs/postfix.md '# postconf: the pipe way'
	  doc_block docs/postfix.md '# postconf: the LMTP way'; } | grep '^postconf ' > "$r/tmp/guide.sh"
	chroot "$r" sh -e /tmp/guide.sh
	chroot "$r" postconf -e 'myhostname = mx.example.org' 'mydomain = example.org' \
		'mydestination = $myhostname, localhost' 'inet_interfaces = loopback-only' \
		'inet_protocols = ipv4' 'mynetworks = 127.0.0.0/8' 'local_recipient_maps =' \
		'alias_maps =' 'alias_database =' \
		'smtpd_banner = $myhostname ESMTP'
	doc_block docs/postfix.md '# /etc/postfix/transport: the LMTP way' > "$r/etc/postfix/transport"
	chroot "$r" postmap /etc/postfix/transport
	chroot "$r" systemctl enable lmtp-iq.socket > /dev/null 2>&1
}

boot_stop() {
	if [ -n "${BOOT_NSPAWN_PID:-}" ]; then
		kill -TERM "$BOOT_NSPAWN_PID" 2>/dev/null || true
		wait_until 60 "! kill -0 $BOOT_NSPAWN_PID 2>/dev/null" ||
			kill -KILL "$BOOT_NSPAWN_PID" 2>/dev/null || true
		wait "$BOOT_NSPAWN_PID" 2>/dev/null || true
	fi
	BOOT_NSPAWN_PID=
	if [ -n "${BOOT_DIR:-}" ]; then
		umount "$BOOT_DIR/root" 2>/dev/null || umount -l "$BOOT_DIR/root" 2>/dev/null || true
		rm -rf "$BOOT_DIR"
	fi
	BOOT_DIR=
}

# boot_log: the mail log as a site without rsyslog has it: Postfix's
# and lmtp-iq's lines in the journal (facility mail).  boot_log_count
# PATTERN: its lines like PATTERN (grep -E).
boot_log() {
	boot_in journalctl -q --no-pager -o short SYSLOG_FACILITY=2
}
boot_log_count() {
	boot_log | grep -cE "$1" || true
}

# boot_queue N RCPT SENDER TAG: N messages to RCPT from SENDER through
# Postfix's sendmail(1) inside, Subjects "TAG 1" to "TAG N".
boot_queue() {
	boot_in sh -c 'i=1; while [ $i -le $1 ]; do
		printf "Subject: %s %d\n\nx\n" "$4" $i | sendmail -f "$3" -- "$2" || exit 1
		i=$((i + 1)); done' sh "$@"
}

# Messages in a Cyrus user's INBOX, and the Subjects among them.
boot_mbox() {
	# Debian's imapd.conf keeps the "." separator (user.erin).
	boot_in runuser -u cyrus -- /usr/lib/cyrus/bin/mbpath "user.$1"
}
boot_count() {
	local d
	d=$(boot_mbox "$1" 2>/dev/null) || { echo 0; return; }
	find "$BOOT_DIR/root$d" -maxdepth 1 -name '[0-9]*.' | wc -l
}
