# SPDX-License-Identifier: ISC
# A throwaway Cyrus Murder on loopback (Debian's cyrus-murder): a mupdate
# master, backends be1 and be2, frontends fe1 and fe2, each a Cyrus
# master process with its own temp dir, started with setsid and stopped
# by PID.  Needs cyrus.bash (free_port, CYRUS_LIB, TOOLS).
#
# Mailboxes: be1 holds alice and carol, be2 holds bob and dave (10 KiB
# quotas), created on the backend and known to mupdate.  Frontends take
# LMTP over TCP with AUTH as the admin "cyrus" (password
# $CYRUS_ADMIN_PASSWORD); they reach the backends as "murder".
#
# MURDER_<NAME>_DIR, MURDER_<NAME>_PORT (LMTP over TCP) for each of
# BE1 BE2 FE1 FE2; MURDER_MUPDATE_PORT.

MURDER_PW=murder-secret

# murder_conf NAME ROLE: imapd.conf and cyrus.conf for one instance.
murder_conf() {
	local name=$1 role=$2 d port servername users=
	d=$(eval echo "\$MURDER_${name}_DIR")
	port=$(eval echo "\$MURDER_${name}_PORT")
	mkdir -p "$d/conf/socket" "$d/spool" "$d/socket"
	case $role in
	master) servername=mupdate.test ;;
	backend) servername=127.0.0.1:$port ;;
	frontend) servername=$(echo "$name" | tr A-Z a-z).test ;;
	esac
	[ "$name" = BE1 ] && users="alice carol"
	[ "$name" = BE2 ] && users="bob dave"
	{
		echo "configdirectory: $d/conf"
		echo "partition-default: $d/spool"
		echo "lmtpsocket: $d/socket/lmtp"
		echo "servername: $servername"
		echo "admins: cyrus murder"
		echo "allowplaintext: yes"
		echo "sasl_pwcheck_method: auxprop"
		echo "sasl_auxprop_plugin: sasldb"
		echo "sasl_sasldb_path: $d/sasldb2"
		echo "sasl_mech_list: SCRAM-SHA-256 PLAIN"
		echo "duplicatesuppression: 0"
		if [ "$role" != master ]; then
			# host:port: Debian has no "mupdate" in /etc/services.
			echo "mupdate_server: 127.0.0.1:$MURDER_MUPDATE_PORT"
			echo "mupdate_port: $MURDER_MUPDATE_PORT"
			echo "mupdate_username: murder"
			echo "mupdate_authname: murder"
			echo "mupdate_password: $MURDER_PW"
		fi
		if [ "$role" = backend ]; then
			echo "proxyservers: murder"
			echo "autocreate_post: 1"
			echo "autocreate_quota: 10"
			echo "autocreate_users: $users"
		fi
		if [ "$role" = frontend ]; then
			echo "proxy_authname: murder"
			echo "proxy_password: $MURDER_PW"
		fi
	} > "$d/imapd.conf"
	{
		echo 'SERVICES {'
		case $role in
		master)
			echo "  mupdate cmd=\"mupdate -m -C $d/imapd.conf\" listen=\"127.0.0.1:$MURDER_MUPDATE_PORT\" prefork=1" ;;
		backend)
			echo "  lmtp cmd=\"lmtpd -C $d/imapd.conf\" listen=\"127.0.0.1:$port\" prefork=0"
			echo "  lmtpunix cmd=\"lmtpd -C $d/imapd.conf\" listen=\"$d/socket/lmtp\" prefork=0" ;;
		frontend)
			echo "  lmtp cmd=\"lmtpd -C $d/imapd.conf\" listen=\"127.0.0.1:$port\" prefork=0"
			echo "  mupdate cmd=\"mupdate -C $d/imapd.conf\" listen=\"$d/socket/mupdate\" prefork=1" ;;
		esac
		echo '}'
	} > "$d/cyrus.conf"
	echo -n "$CYRUS_ADMIN_PASSWORD" | saslpasswd2 -f "$d/sasldb2" -u "$servername" -p -c cyrus
	echo -n "$MURDER_PW" | saslpasswd2 -f "$d/sasldb2" -u "$servername" -p -c murder
	chown -R cyrus:mail "$d"
}

# murder_run NAME: start (or start again) that instance's master.
murder_run() {
	CYRUS_DIR=$(eval echo "\$MURDER_${1}_DIR") cyrus_master
}

# murder_halt NAME: stop that instance's master, keep its files (as
# cyrus_halt does for the single Cyrus).
murder_halt() {
	local CYRUS_PID
	CYRUS_DIR=$(eval echo "\$MURDER_${1}_DIR") cyrus_halt
}

# murder_wait_lmtp PORT: until something answers LMTP there.
murder_wait_lmtp() {
	"$TOOLS/rawlmtp" -s "127.0.0.1:$1" -w 10
}

murder_start() {
	need_package cyrus-murder "$CYRUS_LIB/mupdate" || return 1
	need_package cyrus-imapd "$CYRUS_LIB/lmtpd" || return 1
	local n
	MURDER_MUPDATE_PORT=$(free_port)
	MURDER_MM_DIR=$(make_tmp murder-mm)
	for n in BE1 BE2 FE1 FE2; do
		eval "MURDER_${n}_DIR=\$(make_tmp murder-$n)"
		eval "MURDER_${n}_PORT=\$(free_port)"
	done
	MURDER_MM_PORT=$MURDER_MUPDATE_PORT
	murder_conf MM master
	murder_run MM
	wait_until 5 "(exec 3<>/dev/tcp/127.0.0.1/$MURDER_MUPDATE_PORT) 2>/dev/null" || true
	for n in BE1 BE2; do murder_conf "$n" backend; murder_run "$n"; done
	for n in BE1 BE2; do murder_wait_lmtp "$(eval echo "\$MURDER_${n}_PORT")" || return 1; done
	# The mailboxes, created on their backends (and so announced to
	# mupdate) one at a time.
	murder_deliver BE1 alice && murder_deliver BE1 carol &&
		murder_deliver BE2 bob && murder_deliver BE2 dave || return 1
	for n in FE1 FE2; do murder_conf "$n" frontend; murder_run "$n"; done
	for n in FE1 FE2; do murder_wait_lmtp "$(eval echo "\$MURDER_${n}_PORT")" || return 1; done
}

# murder_deliver BACKEND USER: a small message straight into the backend.
murder_deliver() {
	printf 'Subject: hello\r\n\r\nhi\r\n' |
		lmtp_put "unix:$(eval echo "\$MURDER_${1}_DIR")/socket/lmtp" "$2"
}

murder_stop() {
	local n d
	for n in FE1 FE2 BE1 BE2 MM; do
		d=$(eval echo "\${MURDER_${n}_DIR:-}")
		[ -n "$d" ] || continue
		murder_halt "$n"
		rm -rf "$d"
	done
}

# murder_tool NAME TOOL ARGS...: a Cyrus tool on that instance.
murder_tool() {
	local d
	d=$(eval echo "\$MURDER_${1}_DIR")
	shift
	CYRUS_DIR=$d cyrus_tool "$@"
}

# murder_count BACKEND USER: messages in USER's INBOX on that backend.
murder_count() {
	local dir
	dir=$(murder_tool "$1" mbpath "user/$2" 2>/dev/null) || { echo 0; return; }
	mailbox_count "$dir"
}

# murder_fill BACKEND USER: take USER over its 10 KiB quota (one 12 KiB
# message, accepted while still under it), straight into the backend.
murder_fill() {
	filler | lmtp_put "unix:$(eval echo "\$MURDER_${1}_DIR")/socket/lmtp" "$2"
}
