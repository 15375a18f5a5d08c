# SPDX-License-Identifier: ISC
# Throwaway certificates made with the openssl command, for the TLS
# tests: in $1, a CA (ca.pem), a server certificate for lmtp.test and
# 127.0.0.1 signed by it (server.pem, server.key), the same name expired
# (expired.pem, same key), the same key for *.test.example (wild.pem)
# and s*.test.example (partial.pem), a client certificate for "cyrus" (client.pem,
# client.key, mode 600), and a second CA that signed nothing we serve
# (other-ca.pem).  EC keys: quick to make.

tls_make_pki() {
	local d=$1
	need_package openssl /usr/bin/openssl || return 1
	mkdir -p "$d"
	(
	cd "$d" || exit 1
	key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	key ca.key
	openssl req -x509 -new -key ca.key -out ca.pem -days 30 -subj '/CN=lmtp-iq test CA' 2>/dev/null
	key other-ca.key
	openssl req -x509 -new -key other-ca.key -out other-ca.pem -days 30 -subj '/CN=another CA' 2>/dev/null
	key server.key
	openssl req -new -key server.key -out server.csr -subj '/CN=lmtp.test' 2>/dev/null
	printf 'subjectAltName=DNS:lmtp.test,IP:127.0.0.1\n' > ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out server.pem -days 30 -extfile ext 2>/dev/null
	# Same key, other names: a whole-label wildcard and a partial one.
	for w in wild:'*.test.example' partial:'s*.test.example'; do
		printf 'subjectAltName=DNS:%s\n' "${w#*:}" > "ext-${w%%:*}"
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out "${w%%:*}.pem" -days 30 -extfile "ext-${w%%:*}" 2>/dev/null
	done
	key client.key
	chmod 600 client.key
	openssl req -new -key client.key -out client.csr -subj '/CN=cyrus' 2>/dev/null
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out client.pem -days 30 2>/dev/null
	# openssl x509 cannot date a certificate in the past; openssl ca can.
	: > index.txt
	echo 1000 > serial
	printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
		"$d" "$d" "$d" > ca.cnf
	openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in server.csr \
		-out expired.pem -startdate 20200101000000Z -enddate 20200201000000Z \
		-extfile ext -notext 2>/dev/null
	) || return 1
	[ -s "$d/server.pem" ] && [ -s "$d/expired.pem" ] && [ -s "$d/client.pem" ] &&
		[ -s "$d/wild.pem" ] && [ -s "$d/partial.pem" ]
}
