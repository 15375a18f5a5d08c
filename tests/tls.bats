#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# STARTTLS against a real Cyrus lmtpd that offers it (tls_server_cert,
# tls_server_key, and allowstarttls from 3.10.2 on) and refuses plaintext AUTH (allowplaintext: no, so AUTH
# only appears after STARTTLS), with a throwaway CA made by the test.

load helpers/common
load helpers/cyrus
load helpers/tls

setup_file() {
	suite_needs_root "Cyrus runs as user cyrus from a temp dir" || return 0
	PKI=$(make_tmp pki)
	tls_make_pki "$PKI"
	ln -s server.pem "$PKI/cert.pem"	# an expired one is swapped in
	chown cyrus "$PKI"/server.key
	chmod 755 "$PKI"
	CYRUS_PLAINTEXT=no
	# Only mechanisms that send the secret as it is, and EXTERNAL (a
	# client certificate): Cyrus then offers AUTH only after STARTTLS,
	# and EXTERNAL only to a client that showed a certificate (so the
	# EXTERNAL-without-certificate case is in sasl_fake.bats).
	CYRUS_MECHS="PLAIN LOGIN EXTERNAL"
	CYRUS_EXTRA_CONF="$(cyrus_starttls_conf "$PKI/cert.pem" "$PKI/server.key")
tls_client_ca_file: $PKI/ca.pem
tls_client_certs: optional"
	cyrus_suite_start
	export PKI
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	cyrus_stop
	rm -rf "$PKI"
}

setup() {
	suite_skip_check
	T=$(make_tmp tls)
	printf '%s' "$CYRUS_ADMIN_PASSWORD" > "$T/pw"
	chmod 600 "$T/pw"
	printf 'Subject: over quota\n\nMake room.\n' > "$T/notice"
	conf
	LMTPIQ_CONF=$T/conf LMTPIQ_SERVER=
}

teardown() {
	rm -rf "$T"
}

# conf [KEY=VALUE]...: the client config, with overrides (KEY= drops
# the key).
conf() {
	local kv
	conf_write "$T/conf" server "127.0.0.1:$CYRUS_PORT" syslog no timeout 10 \
		notice_senders "$NOTICE_SENDER" tls require tls_ca_file "$PKI/ca.pem" \
		tls_server_name lmtp.test auth_user cyrus auth_password_file "$T/pw"
	for kv in "$@"; do
		if [ -n "${kv#*=}" ]; then
			conf_set "$T/conf" "${kv%%=*}" "${kv#*=}"
		else
			conf_set "$T/conf" "${kv%%=*}"
		fi
	done
}

@test "tls: -n shows the greeting, STARTTLS, the TLS protocol and cipher, the certificate and its verification, AUTH after TLS" {
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'greeting: 220 cyrus.test'
	echo "$output" | grep -q '^capabilities: .*STARTTLS'
	echo "$output" | grep -q '^tls library: libssl\.so\.3 (OpenSSL 3\.'
	echo "$output" | grep -q '^tls: TLSv1\.[23], [A-Z0-9_-]*, [0-9]* bits$'
	assert_output_has 'certificate: subject /CN=lmtp.test'
	assert_output_has 'certificate: issuer /CN=lmtp-iq test CA'
	assert_output_has 'certificate: verification for lmtp.test: ok'
	echo "$output" | grep -q '^auth mechanisms after STARTTLS: .*PLAIN'
	assert_output_has 'authenticated: cyrus'
	# Before TLS Cyrus offers no AUTH (allowplaintext: no).
	! echo "$output" | grep -q '^auth mechanisms: '
}

@test "tls: libssl is not linked; only a delivery that starts TLS loads it" {
	run ldd "$LMTP_IQ"
	assert_output_lacks 'libssl'
	assert_output_lacks 'libcrypto'
	# (That a delivery over the UNIX socket maps neither is in
	# auth.bats, with libsasl2's.)  One over STARTTLS loads libssl (and so libcrypto) by dlopen.
	LMTPIQ_UNDER="env LD_DEBUG=files" lmtp_iq -- bob < "$T/notice" 2> "$T/ld"
	grep -q 'file=libssl.so.3 \[0\];  dynamically loaded by' "$T/ld"
	grep -q 'file=libcrypto.so.3' "$T/ld"
}

@test "tls: libssl cannot be loaded: a TLS delivery is 75 naming the library; one without TLS still works" {
	conf_write "$T/unix.conf" server "unix:$CYRUS_SOCK" syslog no notice_senders "$NOTICE_SENDER"
	before=$(cyrus_count carol)
	# The binary itself: run inside without_lib's mount namespace.
	run without_lib libssl.so.3 '"$1" -C "$2/conf" -f "$3" -- carol < "$2/notice"; echo "tls=$?";
		"$1" -C "$2/unix.conf" -f "$3" -- carol < "$2/notice"; echo "unix=$?"' "$LMTP_IQ" "$T" "$NOTICE_SENDER"
	assert_output_has 'lmtp-iq: carol: cannot load libssl.so.3 for TLS:'
	assert_output_has 'tls=75'
	assert_output_has 'unix=0'
	[ "$(cyrus_count carol)" -eq $((before + 1)) ]
}

@test "tls: a notice goes over STARTTLS with AUTH PLAIN into the over-quota mailbox" {
	before=$(cyrus_count alice)
	run lmtp_iq -v -- alice < "$T/notice"
	assert_status 0
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
	# STARTTLS, LHLO again, then AUTH; the secret never in the trace.
	[ "$(echo "$output" | grep '^>>> ' | sed -n 2p)" = '>>> STARTTLS' ]
	[ "$(echo "$output" | grep -c '^>>> LHLO ')" -eq 2 ]
	echo "$output" | grep -q '^>>> AUTH [A-Z0-9-]* \[redacted\]$'
	assert_output_lacks "$CYRUS_ADMIN_PASSWORD"
	echo "$output" | grep -q '^>>> RCPT TO:<alice> IGNOREQUOTA$'
}

@test "tls: the server's IP address as the name verifies against its IP SAN; tls = auto uses STARTTLS too" {
	conf tls=auto tls_server_name=
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'certificate: verification for 127.0.0.1: ok'
}

@test "tls: tls_ca_path, a directory of hashed CA certificates, verifies as tls_ca_file does" {
	mkdir "$T/cas"
	cp "$PKI/ca.pem" "$T/cas/"
	openssl rehash "$T/cas"
	conf tls_ca_file= tls_ca_path="$T/cas"
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'certificate: verification for lmtp.test: ok'
	# Without the CA in it the same server does not verify.
	rm "$T"/cas/*
	cp "$PKI/other-ca.pem" "$T/cas/"
	openssl rehash "$T/cas"
	run lmtp_iq -n
	assert_status 75
	assert_output_has 'does not verify for lmtp.test'
}

@test "tls: a certificate from another CA is 75 and says why, for which name" {
	conf tls_ca_file="$PKI/other-ca.pem"
	run lmtp_iq -- alice < "$T/notice"
	assert_status 75
	# (Which of the two OpenSSL says depends on whether the server sends
	# its CA along: Cyrus does once tls_client_ca_file is set.)
	why='(unable to get local issuer certificate|self-signed certificate in certificate chain)'
	echo "$output" | grep -Eq "does not verify for lmtp.test: $why\$"
	assert_output_lacks 'AUTH'
	run lmtp_iq -n
	assert_status 75
	assert_output_has 'certificate: subject /CN=lmtp.test'
	echo "$output" | grep -Eq "^certificate: verification for lmtp.test: $why\$"
}

@test "tls: a certificate for another name is 75: hostname mismatch" {
	conf tls_server_name=mail.other.test
	run lmtp_iq -- alice < "$T/notice"
	assert_status 75
	assert_output_has 'does not verify for mail.other.test: hostname mismatch'
	# tls_verify = no: encrypted, but the server is not proven, so the
	# password is not sent (PLAIN, LOGIN); -n says what it did not check.
	conf tls_server_name=mail.other.test tls_verify=no
	run lmtp_iq -n
	assert_status 75
	assert_output_has 'verification for mail.other.test: hostname mismatch (not required: tls_verify = no)'
	assert_output_has 'password mechanisms (PLAIN, LOGIN): not used: TLS that proves nothing (tls_verify = no)'
	# Only the postmaster's explicit, unsafe auth_plaintext = yes sends it.
	conf tls_server_name=mail.other.test tls_verify=no auth_plaintext=yes
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'password mechanisms (PLAIN, LOGIN): allowed by auth_plaintext = yes (unsafe): TLS that proves nothing'
}

@test "tls: tls_verify = no never sends the password in PLAIN or LOGIN: 75, nothing stored" {
	before=$(cyrus_count alice)
	conf tls_verify=no
	run lmtp_iq -v -- alice < "$T/notice"
	assert_status 75
	assert_output_has 'and this is TLS that proves nothing (tls_verify = no)'
	assert_output_lacks '>>> AUTH'
	[ "$(cyrus_count alice)" -eq "$before" ]
}


# serve_cert NAME: Cyrus restarted with $PKI/NAME.pem (the same key).
serve_cert() {
	ln -sf "$1.pem" "$PKI/cert.pem"
	cyrus_halt
	cyrus_resume
}

@test "tls: names: a whole-label wildcard verifies, a partial one (s*.test.example) does not (RFC 9525 6.3)" {
	conf tls_server_name=store.test.example
	serve_cert wild
	run lmtp_iq -- alice < "$T/notice"
	serve_cert partial
	run2_status=0
	lmtp_iq -- alice < "$T/notice" > "$T/out" 2>&1 || run2_status=$?
	serve_cert server
	assert_status 0
	[ "$run2_status" -eq 75 ]
	grep -q 'does not verify for store.test.example: hostname mismatch' "$T/out"
}

@test "tls: names: one trailing dot in tls_server_name or server is ignored for the check" {
	conf tls_server_name=lmtp.test.
	run lmtp_iq -- alice < "$T/notice"
	assert_status 0
	# The host, with its dot, from a hosts file of the test's own (the
	# resolver wants the dotted name listed as it is).
	conf tls_server_name= server=lmtp.test.:$CYRUS_PORT
	# The binary itself: run inside a mount namespace of the test's.
	run unshare -m sh -c 'printf "127.0.0.1 lmtp.test lmtp.test.\n" > "$1/hosts" && mount --bind "$1/hosts" /etc/hosts && exec "$2" -C "$1/conf" -f "$3" -- alice < "$1/notice"' sh "$T" "$LMTP_IQ" "$NOTICE_SENDER"
	assert_status 0
}

@test "tls: an expired certificate is 75: certificate has expired" {
	ln -sf expired.pem "$PKI/cert.pem"
	cyrus_halt
	cyrus_resume
	run lmtp_iq -- alice < "$T/notice"
	ln -sf server.pem "$PKI/cert.pem"
	cyrus_halt
	cyrus_resume
	assert_status 75
	assert_output_has 'does not verify for lmtp.test: certificate has expired'
}

@test "tls: tls = off against allowplaintext: no is 75, and the secret is never sent" {
	conf tls=off
	run lmtp_iq -v -- alice < "$T/notice"
	assert_status 75
	assert_output_has 'does not offer AUTH without TLS, but auth_user is set: nothing sent'
	! echo "$output" | grep -q '^>>> \(AUTH\|STARTTLS\|MAIL\)'
}

@test "tls: EXTERNAL with a client certificate, no password file: a notice is delivered" {
	conf auth_password_file= auth_mechanisms=EXTERNAL tls_cert_file="$PKI/client.pem" tls_key_file="$PKI/client.key"
	before=$(cyrus_count alice)
	run lmtp_iq -v -- alice < "$T/notice"
	assert_status 0
	echo "$output" | grep -q '^>>> AUTH EXTERNAL'
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
}

@test "tls: a client certificate key readable by others is refused before anything is sent" {
	cp "$PKI/server.pem" "$T/c.pem"; cp "$PKI/server.key" "$T/c.key"; chmod 644 "$T/c.key"
	conf tls_cert_file="$T/c.pem" tls_key_file="$T/c.key"
	run lmtp_iq -- alice < "$T/notice"
	assert_status 75
	assert_output_has "tls_key_file $T/c.key has mode 0644"
}

@test "tls: memcheck: a delivery over TLS and a failed verification are clean" {
	memcheck_prefix
	LMTPIQ_UNDER="${CHECK[*]}" run lmtp_iq -- bob < "$T/notice"
	assert_status 0
	conf tls_server_name=mail.other.test
	LMTPIQ_UNDER="${CHECK[*]}" run lmtp_iq -- bob < "$T/notice"
	assert_status 75
	LMTPIQ_UNDER="${CHECK[*]}" run lmtp_iq -n
	assert_status 75
}
