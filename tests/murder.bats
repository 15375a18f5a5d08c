#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# lmtp-iq and a real Cyrus Murder (Debian's cyrus-murder): a mupdate
# master, two backends (be1: alice carol; be2: bob dave) and two
# frontends, on loopback, each a throwaway instance.  lmtp-iq talks to
# the frontends only (server = fe1 fe2, AUTH as the admin); the
# frontend finds each mailbox's backend through mupdate and forwards
# IGNOREQUOTA per recipient.

load helpers/common
load helpers/cyrus
load helpers/murder

setup_file() {
	suite_needs_root "the Murder runs as user cyrus from temp dirs" || return 0
	murder_start
	murder_fill BE1 alice
	murder_fill BE2 bob
	export MURDER_MM_DIR MURDER_MUPDATE_PORT
	local n
	for n in BE1 BE2 FE1 FE2; do export "MURDER_${n}_DIR" "MURDER_${n}_PORT"; done
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	murder_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	printf '%s' "$CYRUS_ADMIN_PASSWORD" > "$MSG/pw"
	chmod 600 "$MSG/pw"
	printf 'Subject: Your mailbox is over quota\n\nPlease make room.\n' > "$MSG/notice"
	conf_write "$MSG/conf" server "127.0.0.1:$MURDER_FE1_PORT 127.0.0.1:$MURDER_FE2_PORT" \
		syslog no timeout 10 auth_user cyrus auth_password_file "$MSG/pw" \
		notice_senders "$NOTICE_SENDER"
	LMTPIQ_CONF=$MSG/conf LMTPIQ_SERVER=
}

teardown() {
	rm -rf "$MSG"
}

@test "murder: notices to over-quota users on both backends, through a frontend, are stored" {
	a=$(murder_count BE1 alice) b=$(murder_count BE2 bob)
	run lmtp_iq -v -- alice bob < "$MSG/notice"
	assert_status 0
	echo "$output" | grep -q '^>>> RCPT TO:<alice> IGNOREQUOTA$'
	[ "$(murder_count BE1 alice)" -eq $((a + 1)) ]
	[ "$(murder_count BE2 bob)" -eq $((b + 1)) ]
}

@test "murder: with -q off the frontend takes RCPT and refuses after the dot with 452; exit 75, nothing stored" {
	a=$(murder_count BE1 alice)
	run lmtp_iq -v -q off -f '<>' -- alice < "$MSG/notice"
	assert_status 75
	echo "$output" | grep -q '^<<< 250 2.1.5'	# RCPT accepted by the frontend
	assert_output_has 'alice: 452 4.2.2'
	[ "$(murder_count BE1 alice)" -eq "$a" ]
}

@test "murder: the first frontend is down, the second takes the delivery, and the log says so" {
	need_package socat /usr/bin/socat
	c=$(murder_count BE1 carol)
	murder_halt FE1
	sed -i 's/^syslog = no$/syslog = yes/' "$MSG/conf"
	logged_iq -- carol
	murder_run FE1
	murder_wait_lmtp "$MURDER_FE1_PORT"
	assert_status 0
	[ "$(murder_count BE1 carol)" -eq $((c + 1)) ]
	grep -q "server list: 127.0.0.1:$MURDER_FE2_PORT took the session after 127.0.0.1:$MURDER_FE1_PORT (cannot connect to 127.0.0.1:$MURDER_FE1_PORT: Connection refused)" "$MSG/syslog"
	grep -q "to=<carol>, from=<[^>]*>, msgid=[^,]*, size=[^,]*, delay=[^,]*, relay=127.0.0.1:$MURDER_FE2_PORT, ignorequota=yes, dsn=2.1.5, sessionid=[^,]*, stat=Sent" "$MSG/syslog"
}

@test "murder: a backend is down: its user gets 75, the other backend's user is delivered; after the retry each is stored once" {
	c=$(murder_count BE1 carol) d=$(murder_count BE2 dave)
	murder_halt BE1
	run lmtp_iq -- carol < "$MSG/notice"
	assert_status 75
	assert_output_has 'carol: 451 4.4.3'
	run lmtp_iq -- dave < "$MSG/notice"
	assert_status 0
	murder_run BE1
	murder_wait_lmtp "$MURDER_BE1_PORT"
	# Sendmail's retry of the deferred one:
	run lmtp_iq -- carol < "$MSG/notice"
	assert_status 0
	[ "$(murder_count BE1 carol)" -eq $((c + 1)) ]
	[ "$(murder_count BE2 dave)" -eq $((d + 1)) ]
}

@test "murder: an unknown user through the frontend is 67 with Cyrus's text" {
	run lmtp_iq -- nosuchuser < "$MSG/notice"
	assert_status 67
	assert_output_has 'nosuchuser: 550 5.1.1'
}

@test "murder: -n checks both frontends; it can vouch for the frontends only" {
	run lmtp_iq -n
	assert_status 0
	assert_output_has "server: 127.0.0.1:$MURDER_FE1_PORT"
	assert_output_has "server: 127.0.0.1:$MURDER_FE2_PORT"
	assert_output_has 'ignorequota: advertised'
	assert_output_has 'servers: 2 of 2 can take a delivery'
}
