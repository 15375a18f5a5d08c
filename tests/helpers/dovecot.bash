# SPDX-License-Identifier: ISC
# A throwaway Dovecot LMTP server (dovecot-lmtpd) in a temp dir: a second,
# real LMTP peer that does not know IGNOREQUOTA.  Users alice and bob with
# maildirs under the temp dir and a 10 KiB quota; stopped by PID.

dovecot_start() {
	need_package dovecot-lmtpd /usr/lib/dovecot/lmtp || return 1
	DOVECOT_DIR=$(make_tmp dovecot)
	DOVECOT_PORT=$(free_port)
	local d=$DOVECOT_DIR
	chmod 0755 "$d"
	mkdir -p "$d/run" "$d/mail"
	for u in alice bob; do
		echo "$u::8:8::$d/mail/$u::" >> "$d/users"
	done
	dovecot_conf "$d" > "$d/dovecot.conf"
	chown -R mail:mail "$d/mail"
	dovecot -F -c "$d/dovecot.conf" >"$d/stdout" 2>&1 3>&- </dev/null &
	DOVECOT_PID=$!
	"$TOOLS/rawlmtp" -s "127.0.0.1:$DOVECOT_PORT" -w 10 || {
		echo "dovecot did not come up:" >&2
		cat "$d/stdout" "$d/dovecot.log" >&2
		return 1
	}
}

# The test server's configuration for the Dovecot installed: 2.3
# (Debian 12) or 2.4 (Debian 13), which wants dovecot_config_version
# first and renamed most settings.  The same server either way: LMTP on
# $DOVECOT_PORT and a UNIX socket, passwd-file users, maildirs, a 10 KiB
# quota checked at RCPT.  The quota is counted by the maildir driver in
# 2.3 and the count driver in 2.4.
dovecot_conf() {
	local d=$1 v listen
	v=$(dovecot --version | awk '{ print $1 }')
	case $v in
	2.[0-3].*)
		listen=address
		cat <<-EOF
		protocols = lmtp
		mail_location = maildir:~/Maildir
		passdb {
		  driver = passwd-file
		  args = $d/users
		}
		userdb {
		  driver = passwd-file
		  args = $d/users
		}
		mail_plugins = quota
		plugin {
		  quota = maildir:User quota
		  quota_rule = *:storage=10K
		}
		EOF
		;;
	*)
		listen=listen
		cat <<-EOF
		dovecot_config_version = ${v%%-*}
		dovecot_storage_version = ${v%%-*}
		protocols = lmtp
		mail_driver = maildir
		mail_path = ~/Maildir
		passdb passwd-file {
		  passwd_file_path = $d/users
		}
		userdb passwd-file {
		  passwd_file_path = $d/users
		}
		mail_plugins {
		  quota = yes
		}
		quota "User quota" {
		  driver = count
		  storage_size = 10K
		}
		EOF
		;;
	esac
	cat <<-EOF
	ssl = no
	base_dir = $d/run
	state_dir = $d/run
	log_path = $d/dovecot.log
	first_valid_uid = 8
	first_valid_gid = 8
	protocol lmtp {
	  lmtp_rcpt_check_quota = yes
	}
	service lmtp {
	  inet_listener lmtp {
	    $listen = 127.0.0.1
	    port = $DOVECOT_PORT
	  }
	  unix_listener lmtp {
	    mode = 0666
	  }
	}
	EOF
}

dovecot_stop() {
	stop_pid "${DOVECOT_PID:-}"
	DOVECOT_PID=
	if [ -n "${DOVECOT_DIR:-}" ]; then rm -rf "$DOVECOT_DIR"; fi
	DOVECOT_DIR=
}

# Messages in $1's maildir.
dovecot_count() {
	find "$DOVECOT_DIR/mail/$1/Maildir/new" "$DOVECOT_DIR/mail/$1/Maildir/cur" \
		-type f 2>/dev/null | wc -l
}
