#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tests/deps --plan: whether installing what the suites lack would touch
# a live mail host.  apt-get and dpkg-query are stand-ins here (on PATH
# before the real ones) that answer as such a host would; what is
# listening is real (a listener of the test's own).  The whole way on a
# real Postfix host is tests/postfix/hostsafe.bats.

load helpers/common

setup() {
	D=$(make_tmp deps)
	mkdir "$D/bin"
	printf '[demo]\nsomepkg\n' > "$D/packages"
	# dpkg-query: somepkg is missing; FOREIGN (a line) is an installed MTA.
	cat > "$D/bin/dpkg-query" <<-'EOF'
	#!/bin/sh
	case "$*" in
	*Provides*) [ -z "$FOREIGN" ] || printf '%s\n' "$FOREIGN" ;;
	*somepkg*) exit 1 ;;
	*) echo 'install ok installed' ;;
	esac
	EOF
	# apt-get -s: SIM is what it would do.
	printf '#!/bin/sh\nprintf "%%b" "$SIM"\n' > "$D/bin/apt-get"
	chmod 755 "$D/bin/dpkg-query" "$D/bin/apt-get"
	export FOREIGN= SIM='Inst somepkg (1.0 Debian:12 [amd64])\nConf somepkg (1.0 Debian:12 [amd64])\n'
}

teardown() {
	stop_pid "${LISTEN_PID:-}"
	rm -rf "$D"
}

plan() {
	PATH=$D/bin:$PATH LMTPIQ_PACKAGES=$D/packages "$TOP/tests/deps" --plan demo
}

@test "deps --plan: a bare box: install here" {
	run plan
	assert_status 0
	[ "$output" = host ]
}

@test "deps --plan: apt would remove a package, or replace an installed one with another version: a root of its own" {
	SIM='Remv postfix [3.7.11-0+deb12u1]\nInst somepkg (1.0 Debian:12 [amd64])\n' run plan
	[ "$output" = 'root: apt would remove postfix' ]
	SIM='Inst libssl3 [3.0.15-1] (3.0.17-1 Debian-Security:12 [amd64])\nInst somepkg (1.0 Debian:12 [amd64])\n' run plan
	[ "$output" = 'root: apt would replace libssl3' ]
}

@test "deps --plan: an MTA or IMAP server of another family installed: a root of its own; the suites' own families are not" {
	FOREIGN=$'exim4-daemon-light\tinstall ok installed\tmail-transport-agent' run plan
	[ "$output" = 'root: installed: exim4-daemon-light' ]
	FOREIGN=$'sendmail-bin\tinstall ok installed\tmail-transport-agent' run plan
	[ "$output" = host ]
}

@test "deps --plan: something listening on a mail port (a live Cyrus's 4190, say): a root of its own" {
	need_package socat /usr/bin/socat
	socat TCP-LISTEN:4190,bind=127.0.0.1,reuseaddr,fork SYSTEM:true 3>&- &
	LISTEN_PID=$!
	wait_until 3 '(exec 3<>/dev/tcp/127.0.0.1/4190) 2>/dev/null'
	run plan
	[ "$output" = 'root: listening on port(s) 4190' ]
}
