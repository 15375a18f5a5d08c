#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# STARTTLS and SASL against the fake server, for what a real server will
# not do: strip STARTTLS, offer only PLAIN or ANONYMOUS, claim success
# early, send long challenges, refuse STARTTLS, or slip bytes in after
# its 220 to STARTTLS.  The secret must never reach the wire unprotected.

load helpers/common
load helpers/fake
load helpers/tls

SECRET=s3cret-on-the-wire

setup() {
	D=$(make_tmp sasl)
	printf '%s' "$SECRET" > "$D/pw"
	chmod 600 "$D/pw"
	printf 'Subject: n\n\nx\n' > "$D/msg"
	NS_PID=
}

teardown() {
	fake_teardown
	stop_pid "$NS_PID"
	rm -rf "$D"
}

# auth_conf [KEY=VALUE...]: the fake's config with AUTH as user u, and
# each KEY set to VALUE.
auth_conf() {
	local kv
	fake_conf auth_user u
	fake_conf auth_password_file "$D/pw"
	fake_conf ignorequota off
	for kv in "$@"; do fake_conf "${kv%%=*}" "${kv#*=}"; done
}

# The secret as it would travel in PLAIN or LOGIN.
secret_on_wire() {
	grep -q "$SECRET" "$FAKE_DIR/record" && return 0
	grep -q "$(printf '%s' "$SECRET" | base64)" "$FAKE_DIR/record" && return 0
	grep -q "$(printf '\0u\0%s' "$SECRET" | base64)" "$FAKE_DIR/record"
}

# tcp_fake ADDR [PORT]: a fake server on TCP ADDR:PORT (any free port
# when none; script on stdin), run inside the network namespace $NS_PID
# when set; FAKE_PORT is its port.
tcp_fake() {
	FAKE_NETNS=$NS_PID fake_start "tcp:$1:${2:-0}"
	fake_conf timeout 5
	FAKE_PORT=$(cat "$FAKE_DIR/ready")
	LMTPIQ_SERVER=$1:$FAKE_PORT
}

# A network namespace of our own whose lo also carries 192.0.2.20: a
# link that is neither loopback nor protected by TLS.
netns() {
	outside_ns "" 192.0.2.20
}

@test "sasl: STARTTLS stripped and only PLAIN offered over a non-loopback link: 75, no secret on the wire" {
	need_root "a network namespace with a non-loopback address"
	netns
	{ lhlo_offering PIPELINING 'AUTH PLAIN LOGIN'
	  fake_bye; } | tcp_fake 192.0.2.20
	auth_conf
	LMTPIQ_UNDER="nsenter -t $NS_PID -n" run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'and this is TCP without TLS'
	fake_finish
	run ! grep -q '^AUTH' "$FAKE_DIR/record"
	! secret_on_wire
}

@test "sasl: auth_plaintext = yes is the postmaster's explicit choice: PLAIN goes out on such a link" {
	need_root "a network namespace with a non-loopback address"
	netns
	{ lhlo_offering PIPELINING 'AUTH PLAIN'
	  echo 'expect AUTH PLAIN *'; echo 'send 235 2.7.0 ok'
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | tcp_fake 192.0.2.20
	auth_conf auth_plaintext=yes
	LMTPIQ_UNDER="nsenter -t $NS_PID -n" run lmtp_iq -n
	assert_status 0
	fake_finish
	secret_on_wire
}

@test "sasl: PLAIN over loopback TCP to a port below 1024 is allowed (only root can listen there)" {
	need_root "a port below 1024"
	{ lhlo_offering PIPELINING 'AUTH PLAIN'
	  echo 'expect AUTH PLAIN *'; echo 'send 235 2.7.0 ok'
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | tcp_fake 127.0.0.1 "$(free_port 600 1023)"
	auth_conf
	run lmtp_iq -n
	assert_status 0
	assert_output_has "password mechanisms (PLAIN, LOGIN): allowed: loopback to port $FAKE_PORT, below 1024"
	fake_finish
}

@test "sasl: PLAIN over loopback TCP to a port above 1023 is not used (any local user can listen there): 75, no secret" {
	{ lhlo_offering PIPELINING 'AUTH PLAIN LOGIN'
	  fake_bye; } | tcp_fake 127.0.0.1
	auth_conf
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has "and this is loopback to port $FAKE_PORT, where any local user can listen"
	fake_finish
	run ! grep -q '^AUTH' "$FAKE_DIR/record"
	! secret_on_wire
}

# The throwaway PKI (helpers/tls.bash) for a fake server that speaks
# TLS: its server certificate is for lmtp.test and 127.0.0.1.
tls_fake_pki() {
	PKI=$D/pki
	tls_make_pki "$PKI"
}

@test "sasl: tls_verify = no over a non-loopback link: encrypted, nothing proven, PLAIN not sent: 75" {
	need_root "a network namespace with a non-loopback address"
	tls_fake_pki
	netns
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 220 2.0.0 go ahead'
	  echo "starttls $PKI/server.pem $PKI/server.key"
	  echo 'expect LHLO client.test'; echo 'send 250-fake'; echo 'send 250 AUTH PLAIN LOGIN'
	  fake_bye; } | tcp_fake 192.0.2.20
	auth_conf tls=require tls_verify=no
	LMTPIQ_UNDER="nsenter -t $NS_PID -n" run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'and this is TLS that proves nothing (tls_verify = no)'
	fake_finish
	run ! grep -q '^AUTH' "$FAKE_DIR/record"
	! secret_on_wire
}

@test "sasl: verified TLS, EXTERNAL offered first, no client certificate: EXTERNAL passed by, PLAIN used" {
	tls_fake_pki
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 220 2.0.0 go ahead'
	  echo "starttls $PKI/server.pem $PKI/server.key"
	  echo 'expect LHLO client.test'; echo 'send 250-fake'; echo 'send 250-PIPELINING'
	  echo 'send 250 AUTH EXTERNAL PLAIN'
	  echo 'expect AUTH PLAIN *'; echo 'send 235 2.7.0 ok'
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | tcp_fake 127.0.0.1
	auth_conf tls=require "tls_ca_file=$PKI/ca.pem" tls_server_name=lmtp.test
	run lmtp_iq -n
	assert_status 0
	assert_output_has 'password mechanisms (PLAIN, LOGIN): allowed: TLS, certificate verified for lmtp.test'
	fake_finish
	run ! grep -q '^AUTH EXTERNAL' "$FAKE_DIR/record"
}

@test "sasl: only ANONYMOUS offered: 75, never used" {
	{ lhlo_offering PIPELINING 'AUTH ANONYMOUS'
	  fake_bye; } | fake_start
	auth_conf
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'no usable SASL mechanism'
	fake_finish
	! grep -q '^AUTH' "$FAKE_DIR/record"
}

@test "sasl: a 235 in the middle of SCRAM is not believed: 75, nothing delivered" {
	{ lhlo_offering PIPELINING 'AUTH SCRAM-SHA-256'
	  echo 'expect AUTH SCRAM-SHA-256 *'; echo 'send 235 2.7.0 Authenticated'
	  fake_bye; } | fake_start
	auth_conf
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'answered 235 before the exchange was complete'
	fake_finish
	! grep -q '^MAIL' "$FAKE_DIR/record"
}

@test "sasl: a 1.7 KB challenge is read whole (LOGIN completes; DIGEST-MD5 gets as far as the server's verdict)" {
	long=$(head -c 1300 /dev/zero | tr '\0' 'q' | base64 -w0)
	[ "${#long}" -gt 1700 ]
	{ lhlo_offering PIPELINING 'AUTH LOGIN'
	  echo 'expect AUTH LOGIN'; echo "send 334 $long"
	  echo 'expect dQ=='; echo 'send 334 UGFzc3dvcmQ6'
	  echo 'expect *'; echo 'send 235 2.7.0 ok'
	  echo 'expect MAIL FROM:<>'; echo 'send 250 ok'; echo 'expect RSET'; echo 'send 250 ok'
	  fake_bye; } | fake_start
	auth_conf
	run lmtp_iq -n
	assert_status 0
	fake_finish
	fake_teardown
	nonce=$(head -c 1300 /dev/zero | tr '\0' 'n')
	chal=$(printf 'realm="fake.test",nonce="%s",qop="auth",charset=utf-8,algorithm=md5-sess' "$nonce" | base64 -w0)
	[ "${#chal}" -gt 1700 ]
	{ lhlo_offering PIPELINING 'AUTH DIGEST-MD5'
	  echo 'expect AUTH DIGEST-MD5'; echo "send 334 $chal"
	  echo 'expect *'; echo 'send 535 5.7.8 no such luck'
	  fake_bye; } | fake_start
	auth_conf
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'AUTH DIGEST-MD5 as u refused by'
	assert_output_lacks 'not base64'
	fake_finish
}

@test "sasl: a challenge that is not base64 is cancelled with *" {
	{ lhlo_offering PIPELINING 'AUTH LOGIN'
	  echo 'expect AUTH LOGIN'; echo 'send 334 !!!not base64!!!'
	  echo 'expect \*'; echo 'send 501 5.7.0 cancelled'
	  fake_bye; } | fake_start
	auth_conf
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'the challenge is not base64; cancelled'
	fake_finish
}

@test "starttls: refused with 454 under tls = auto: delivery goes on without TLS" {
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 454 4.7.0 TLS not available'
	  echo 'expect MAIL FROM:<quota-warn@example.org>'; echo 'expect RCPT TO:<alice>'; echo 'expect DATA'
	  echo 'send 250 ok'; echo 'send 250 ok'; echo 'send 354 go'; echo 'data'
	  echo 'send 250 2.1.5 ok'; fake_bye; } | tcp_fake 127.0.0.1
	fake_conf ignorequota off
	run lmtp_iq alice < "$D/msg"
	assert_status 0
	fake_finish
}

@test "starttls: refused with 454 under tls = require: 75, nothing sent" {
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 454 4.7.0 TLS not available'
	  fake_bye; } | tcp_fake 127.0.0.1
	fake_conf ignorequota off
	fake_conf tls require
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'refused STARTTLS and tls is require: 454 4.7.0 TLS not available'
	fake_finish
	! grep -q '^MAIL' "$FAKE_DIR/record"
}

@test "starttls: not offered under tls = require: 75; -n says so" {
	{ lhlo_offering PIPELINING
	  fake_bye; } | tcp_fake 127.0.0.1
	fake_conf tls require
	run lmtp_iq -n
	assert_status 75
	assert_output_has 'greeting: 220 fake.test LMTP ready'
	assert_output_has 'tls: no (tls = require; STARTTLS not offered)'
	assert_output_has 'does not offer STARTTLS and tls is require'
	fake_finish
}

@test "starttls: bytes after the server's 220 to STARTTLS are refused (no TLS on them), 75" {
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'raw 220 go ahead\r\n250 injected\r\n'; } | tcp_fake 127.0.0.1
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'sent more after its reply to STARTTLS'
	fake_finish
}

@test "starttls: a server that is not TLS after its 220: the handshake fails, 75, and says so" {
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 220 go ahead'; echo 'sleep 200'
	  echo 'send 250 this is not TLS'; } | tcp_fake 127.0.0.1
	run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has 'TLS handshake with 127.0.0.1'
	fake_finish
}

# starttls_file_case KEY=VALUE EXPECTED: STARTTLS is accepted, then the
# TLS settings name a bad file: 75 at once, the message says why.
starttls_file_case() {
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 220 2.0.0 go ahead'; } | tcp_fake 127.0.0.1
	fake_conf tls require
	fake_conf "${1%%=*}" "${1#*=}"
	LMTPIQ_UNDER="timeout 10" run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has "$2"
	fake_finish
}

@test "starttls: a FIFO as tls_ca_file, tls_cert_file or tls_key_file is refused at once (75), not a hang" {
	tls_fake_pki
	mkfifo "$D/fifo"
	starttls_file_case "tls_ca_file=$D/fifo" "tls_ca_file $D/fifo is not a regular file"
	fake_teardown
	starttls_file_case "tls_cert_file=$D/fifo" "tls_cert_file $D/fifo is not a regular file"
	fake_teardown
	{ lhlo_offering PIPELINING STARTTLS
	  echo 'expect STARTTLS'; echo 'send 220 2.0.0 go ahead'; } | tcp_fake 127.0.0.1
	fake_conf tls_ca_file "$PKI/ca.pem"
	fake_conf tls_cert_file "$PKI/client.pem"
	fake_conf tls require
	fake_conf tls_key_file "$D/fifo"
	LMTPIQ_UNDER="timeout 10" run lmtp_iq alice < "$D/msg"
	assert_status 75
	assert_output_has "tls_key_file $D/fifo is not a regular file"
	fake_finish
}

@test "starttls: a tls_ca_file others can write, or a tls_ca_path that is not a directory, is refused (75)" {
	tls_fake_pki
	cp "$PKI/ca.pem" "$D/ca.pem"
	chmod 666 "$D/ca.pem"
	starttls_file_case "tls_ca_file=$D/ca.pem" "tls_ca_file $D/ca.pem has mode 0666; group and others must not be able to write it (chmod go-w)"
	fake_teardown
	starttls_file_case "tls_ca_path=$PKI/ca.pem" "tls_ca_path $PKI/ca.pem: Not a directory"
}
