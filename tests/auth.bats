#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# SASL AUTH against a real Cyrus lmtpd on loopback TCP, where AUTH is
# required before MAIL and only the admin "cyrus" may authenticate.

load helpers/common
load helpers/cyrus

setup_file() {
	cyrus_suite_setup || return 0
}

teardown_file() {
	cyrus_suite_teardown
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
	LMTPIQ_CONF=$MSG/conf
	printf 'Subject: quota notice\n\nYour mailbox is over quota.\n' > "$MSG/notice"
	printf '%s\n' "$CYRUS_ADMIN_PASSWORD" > "$MSG/secret"
	chmod 600 "$MSG/secret"
	auth_conf ""
}

teardown() {
	rm -rf "$MSG"
}

# auth_conf MECHS [USER]: a config that authenticates over TCP.
auth_conf() {
	conf_write "$MSG/conf" server "127.0.0.1:$CYRUS_PORT" syslog no \
		notice_senders "$NOTICE_SENDER" auth_user "${2:-cyrus}" \
		auth_password_file "$MSG/secret"
	if [ -n "$1" ]; then conf_add "$MSG/conf" auth_mechanisms "$1"; fi
}

notice_is_stored() {
	local before=$1
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
}

mech_delivers() {
	auth_conf "$1"
	before=$(cyrus_count alice)
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 0
	assert_output_has ">>> AUTH $1 [redacted]"
	assert_output_has '<<< 235 '
	notice_is_stored "$before"
}

@test "auth: AUTH PLAIN over TCP delivers an over-quota notice" { mech_delivers PLAIN; }
@test "auth: AUTH LOGIN (two steps) delivers" { mech_delivers LOGIN; }
@test "auth: AUTH CRAM-MD5 (challenge-response) delivers" { mech_delivers CRAM-MD5; }
@test "auth: AUTH DIGEST-MD5 (multi-step, server proof) delivers" { mech_delivers DIGEST-MD5; }
@test "auth: AUTH SCRAM-SHA-256 (multi-step, server proof) delivers" { mech_delivers SCRAM-SHA-256; }

@test "auth: without an allow-list libsasl2 picks the strongest offered (SCRAM-SHA-256) and delivers" {
	before=$(cyrus_count alice)
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 0
	assert_output_has '>>> AUTH SCRAM-SHA-256 [redacted]'
	notice_is_stored "$before"
}

@test "auth: an authorization id equal to the admin is accepted by Cyrus" {
	auth_conf PLAIN
	conf_add "$MSG/conf" auth_authzid cyrus
	before=$(cyrus_count alice)
	run lmtp_iq alice < "$MSG/notice"
	assert_status 0
	notice_is_stored "$before"
}

@test "auth: a wrong password is 75 and nothing is stored" {
	echo 'not-the-password' > "$MSG/secret"
	before=$(cyrus_count alice)
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'lmtp-iq: alice: AUTH '
	assert_output_has "refused by 127.0.0.1:$CYRUS_PORT"
	[ "$(cyrus_count alice)" -eq "$before" ]
}

@test "auth: a non-admin user is 75 (Cyrus lets only admins authenticate)" {
	auth_conf PLAIN alice
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
}

@test "auth: a group-readable password file is refused, naming the file and mode" {
	chmod 640 "$MSG/secret"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has "password file $MSG/secret has mode 0640"
}

@test "auth: a world-readable password file is refused" {
	chmod 604 "$MSG/secret"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'has mode 0604'
}

@test "auth: a password file that is a symlink or missing is refused" {
	ln -s "$MSG/secret" "$MSG/link"
	sed -i "s|^auth_password_file = .*|auth_password_file = $MSG/link|" "$MSG/conf"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has "password file $MSG/link"
	sed -i "s|^auth_password_file = .*|auth_password_file = $MSG/none|" "$MSG/conf"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'No such file'
}

@test "auth: no AUTH configured against the AUTH-required port is 75 with the 430 text" {
	conf_write "$MSG/conf" server "127.0.0.1:$CYRUS_PORT" syslog no notice_senders "$NOTICE_SENDER"
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'lmtp-iq: alice: 430 Authentication required'
}

@test "auth: an allow-list the server cannot meet is 75 and names both lists" {
	auth_conf 'GSSAPI OTP'
	run lmtp_iq alice < "$MSG/notice"
	assert_status 75
	assert_output_has 'none of it is allowed by auth_mechanisms (GSSAPI OTP)'
}

@test "auth: neither the secret nor its base64 appears in the trace or on stderr" {
	auth_conf PLAIN
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 0
	b64=$(printf '\0cyrus\0%s' "$CYRUS_ADMIN_PASSWORD" | base64 -w0)
	assert_output_lacks "$CYRUS_ADMIN_PASSWORD"
	assert_output_lacks "$b64"
	assert_output_lacks "$(printf '%s' "$CYRUS_ADMIN_PASSWORD" | base64 -w0)"
	auth_conf LOGIN
	run lmtp_iq -v alice < "$MSG/notice"
	assert_status 0
	assert_output_lacks "$(printf '%s' "$CYRUS_ADMIN_PASSWORD" | base64 -w0)"
	assert_output_has '>>> [redacted]'
}

@test "auth: no leak or memory error in AUTH (PLAIN, SCRAM-SHA-256, DIGEST-MD5, wrong password)" {
	memcheck_prefix
	for mech in PLAIN SCRAM-SHA-256 DIGEST-MD5; do
		auth_conf "$mech"
		LMTPIQ_UNDER="${CHECK[*]}" run lmtp_iq alice < "$MSG/notice"
		assert_status 0
	done
	echo wrong > "$MSG/secret"
	LMTPIQ_UNDER="${CHECK[*]}" run lmtp_iq alice < "$MSG/notice"
	assert_status 75
}

@test "auth: -n authenticates and says so" {
	run lmtp_iq -n
	assert_status 0
	# libsasl2 is named as libssl is, once it was loaded for AUTH.
	echo "$output" | grep -q '^sasl library: libsasl2\.so\.2 (Cyrus SASL 2\.[0-9.]*)$'
	assert_output_has 'authenticated: cyrus'
	assert_output_has 'ignorequota: advertised'
}

@test "auth: -n without AUTH against the AUTH-required port reports the 430 and exits 75" {
	conf_write "$MSG/conf" server "127.0.0.1:$CYRUS_PORT" syslog no notice_senders "$NOTICE_SENDER"
	run lmtp_iq -n
	assert_status 75
	assert_output_lacks 'sasl library:'
	assert_output_has 'mail from: 430 Authentication required'
	assert_output_has 'result: deliveries would stay queued'
}

@test "auth: IPv6 loopback [::1]:port delivers with AUTH" {
	if [ -z "$CYRUS_PORT6" ]; then
		skip "::1 is not configured on lo"
	fi
	before=$(cyrus_count alice)
	run lmtp_iq -s "[::1]:$CYRUS_PORT6" alice < "$MSG/notice"
	assert_status 0
	notice_is_stored "$before"
}

@test "auth: a host name is resolved with getaddrinfo" {
	before=$(cyrus_count alice)
	run lmtp_iq -s "localhost:$CYRUS_PORT" alice < "$MSG/notice"
	assert_status 0
	notice_is_stored "$before"
}

@test "auth: libsasl2 is not linked; only a delivery that authenticates loads it (and what it brings)" {
	run ldd "$LMTP_IQ"
	assert_output_lacks 'libsasl2'
	assert_output_lacks 'libcrypto'
	# Over the UNIX socket (no AUTH) neither libsasl2 nor anything it
	# links (libcrypto, libz, libzstd on Debian 13) is mapped.
	conf_write "$MSG/unix.conf" server "unix:$CYRUS_SOCK" syslog no notice_senders "$NOTICE_SENDER"
	LMTPIQ_UNDER="env LD_DEBUG=files" LMTPIQ_CONF=$MSG/unix.conf lmtp_iq -- bob < "$MSG/notice" 2> "$MSG/ld"
	grep -q 'file=libc.so.6' "$MSG/ld"
	run ! grep -q 'libsasl2\|libcrypto\|libz\|libssl' "$MSG/ld"
	# One that authenticates loads libsasl2 by dlopen, and its plugins.
	LD_DEBUG=files lmtp_iq -- bob < "$MSG/notice" 2> "$MSG/ld"
	grep -q 'file=libsasl2.so.2 \[0\];  dynamically loaded by' "$MSG/ld"
	grep -q 'file=.*/sasl2/lib[a-z0-9]*\.so.*dynamically loaded by' "$MSG/ld"
}

@test "auth: libsasl2 cannot be loaded: a delivery with AUTH is 75 naming the library and the stage; one without AUTH still works" {
	conf_write "$MSG/unix.conf" server "unix:$CYRUS_SOCK" syslog no notice_senders "$NOTICE_SENDER"
	before=$(cyrus_count carol)
	# The binary itself: run inside without_lib's mount namespace.
	run without_lib libsasl2.so.2 '"$1" -C "$2/conf" -f "$3" -- carol < "$2/notice"; echo "auth=$?";
		"$1" -C "$2/unix.conf" -f "$3" -- carol < "$2/notice"; echo "unix=$?";
		"$1" -n -C "$2/conf"; echo "probe=$?"' "$LMTP_IQ" "$MSG" "$NOTICE_SENDER"
	assert_output_has 'lmtp-iq: carol: cannot load libsasl2.so.2 for AUTH:'
	assert_output_has 'auth=75'
	assert_output_has 'unix=0'
	assert_output_has 'result: cannot deliver: cannot load libsasl2.so.2 for AUTH:'
	assert_output_has 'probe=75'
	assert_output_lacks 'sasl library:'
	[ "$(cyrus_count carol)" -eq $((before + 1)) ]
}
