#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# make deb: a package and a source package made by dpkg-buildpackage
# from debian/ (debhelper), that lintian accepts, that installs its
# files where the docs say (Postfix's systemd units, the guides and the
# examples too) and makes its state directory, whose m4 files build a
# sendmail.cf from the README's lines against the installed cf tree,
# that upgrades from a previous build keeping the site's config and
# state, and that removes and purges without a trace.  Installed with
# dpkg on this machine (make check-in: in a root of each release).

load helpers/common

setup_file() {
	suite_needs_root "installs a package with dpkg" || return 0
	need_package lintian /usr/bin/lintian
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	need_package debhelper /usr/bin/dh
	make -s -C "$TOP" deb >/dev/null
	DEB=$(ls "$TOP"/build/lmtp-iq_*.deb)
	DSC=$(ls "$TOP"/build/lmtp-iq_*.dsc)
	VERSION=$(make -s -C "$TOP" print-version)
	# The previous build: the same tree as version 0.0.9.
	OLD=$(make_tmp olddeb)
	tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$OLD"
	sed -i 's/^VERSION    = .*/VERSION    = 0.0.9/' "$OLD/Makefile"
	sed -i '1s/(.*)/(0.0.9)/' "$OLD/debian/changelog"
	make -s -C "$OLD" clean deb >/dev/null
	OLD_DEB=$(ls "$OLD"/build/lmtp-iq_0.0.9_*.deb)
	export DEB DSC VERSION OLD OLD_DEB
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	dpkg --purge lmtp-iq >/dev/null 2>&1 || true
	rm -rf "${OLD:-}"
}

setup() {
	suite_skip_check
}

@test "deb: lintian reports neither errors nor warnings, for the package and the source package" {
	run lintian "$DEB" "$DSC"
	assert_output_lacks 'E: '
	assert_output_lacks 'W: '
}

@test "deb: the source package is the tracked tree with debian/, nothing built in it" {
	grep -q '^Format: 3.0 (native)$' "$DSC"
	grep -q '^Build-Depends: debhelper-compat (= 13)' "$DSC"
	tarball=$(dirname "$DSC")/$(sed -n 's/^ [0-9a-f]\{40\} [0-9]* //p' "$DSC" | head -1)
	run tar -tJf "$tarball"
	assert_output_has "lmtp-iq-$VERSION/debian/rules"
	assert_output_has "lmtp-iq-$VERSION/mailer/main.c"
	assert_output_lacks '.o'$'\n'
	assert_output_lacks "lmtp-iq-$VERSION/mailer/lmtp-iq"$'\n'
	assert_output_lacks "lmtp-iq-$VERSION/build/"
	# The package's version is the one version (the Makefile's).
	[ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ]
}

@test "deb: the package depends by name on the packages that ship libssl.so.3 and libsasl2.so.2 (loaded with dlopen, which dpkg-shlibdeps cannot see), and recommends the SASL mechanisms" {
	# libssl3 on Debian 12, libssl3t64 on 13: whichever ships the soname.
	ssl=$(dpkg-query -S '*/libssl.so.3' | sed -n '1s/:.*//p')
	sasl=$(dpkg-query -S '*/libsasl2.so.2' | sed -n '1s/:.*//p')
	[ -n "$ssl" ] && [ -n "$sasl" ]
	run dpkg-deb -f "$DEB" Depends
	echo "$output" | grep -Eq "(^|, )$ssl \(>= [^)]*\)(,|$)"
	echo "$output" | grep -Eq "(^|, )$sasl \(>= [^)]*\)(,|$)"
	echo "$output" | grep -Eq '(^|, )libc6 \(>= [^)]*\)(,|$)'
	# PLAIN, LOGIN and SCRAM live in libsasl2-modules.
	run dpkg-deb -f "$DEB" Recommends
	echo "$output" | grep -Eq '(^|, )libsasl2-modules(,|$)'
}

@test "deb: dpkg installs the program, man pages, m4 files, units (not enabled), guides, examples, the conffile and the state directory" {
	run dpkg -i "$DEB"
	assert_status 0
	[ -x /usr/libexec/lmtp-iq ]
	[ "$(/usr/libexec/lmtp-iq -V)" = "lmtp-iq $VERSION" ]
	[ -f /usr/share/man/man8/lmtp-iq.8.gz ]
	[ -f /usr/share/man/man5/lmtp-iq.conf.5.gz ]
	[ -f /usr/share/sendmail/cf/mailer/lmtp_iq.m4 ]
	[ -f /usr/share/sendmail/cf/feature/lmtp_iq_notices.m4 ]
	# Postfix's LMTP way (docs/postfix.md): shipped, not enabled.
	[ -f /usr/lib/systemd/system/lmtp-iq.socket ]
	[ -f /usr/lib/systemd/system/lmtp-iq@.service ]
	[ ! -e /etc/systemd/system/sockets.target.wants/lmtp-iq.socket ]
	[ -f /usr/lib/systemd/system/lmtp-iq-quota-warn.timer ]
	[ ! -e /etc/systemd/system/timers.target.wants/lmtp-iq-quota-warn.timer ]
	# The guides the man page points to, as the source has them.
	for d in README.md docs/sendmail.md docs/postfix.md docs/reference.md docs/auth.md docs/murder.md; do
		zcat "/usr/share/doc/lmtp-iq/${d##*/}.gz" | cmp - "$TOP/$d"
	done
	for e in refusal-notice refusal-notice.fr; do
		cmp "/usr/share/doc/lmtp-iq/examples/$e" "$TOP/docs/examples/$e"
	done
	# The quota warnings' job, and its cron line shipped off.
	[ "$(/usr/sbin/lmtp-iq-quota-warn -V)" = "lmtp-iq-quota-warn $VERSION" ]
	[ -f /usr/share/man/man8/lmtp-iq-quota-warn.8.gz ]
	dpkg-query -W -f='${Conffiles}\n' lmtp-iq | grep -q '/etc/cron.d/lmtp-iq'
	grep -q '^#17 \* \* \* \*	cyrus	.*/usr/sbin/lmtp-iq-quota-warn -d ' /etc/cron.d/lmtp-iq
	run grep -v '^#' /etc/cron.d/lmtp-iq
	[ -z "$output" ]
	[ -f /etc/mail/lmtp-iq.conf ]
	dpkg-query -W -f='${Conffiles}\n' lmtp-iq | grep -q '/etc/mail/lmtp-iq.conf'
	# The refusal notices' state directory, the mailer's user's own.
	owner=mail
	getent passwd cyrus >/dev/null && owner=cyrus
	[ "$(stat -c '%a %U %G' /var/lib/lmtp-iq)" = "700 $owner mail" ]
	# The shipped example config loads (every line is a comment), and
	# is safe as it is: nothing is delivered until notice_senders is set.
	run /usr/libexec/lmtp-iq -C /etc/mail/lmtp-iq.conf -s unix:/nonexistent alice < /dev/null
	assert_status 75
	assert_output_has 'lmtp-iq: config: notice_senders is not set'
}

@test "deb: the README's sendmail.mc lines build a sendmail.cf against the installed cf tree" {
	D=$(make_tmp deb)
	{ echo "OSTYPE(\`linux')dnl"
	  doc_block README.md lmtp_iq_notices
	  echo "MAILER(\`local')dnl"; echo "MAILER(\`smtp')dnl"; } > "$D/sendmail.mc"
	grep -q "MAILER(\`lmtp_iq')" "$D/sendmail.mc"
	m4 /usr/share/sendmail/cf/m4/cf.m4 "$D/sendmail.mc" > "$D/sendmail.cf"
	grep -q '^Mlmtp_iq,	P=/usr/libexec/lmtp-iq,' "$D/sendmail.cf"
	grep -q "lmtp_iq.m4,v $VERSION " "$D/sendmail.cf"
	run sh -c 'echo "\$Z" | sendmail-mta -C "$1" -bt' sh "$D/sendmail.cf"
	assert_status 0
	assert_output_lacks 'unknown configuration line'
	rm -rf "$D"
}

@test "deb: an upgrade from the previous build keeps the site's config and the notices' state" {
	dpkg --purge lmtp-iq >/dev/null 2>&1 || true
	run dpkg -i "$OLD_DEB"
	assert_status 0
	[ "$(/usr/libexec/lmtp-iq -V)" = "lmtp-iq 0.0.9" ]
	conf_add /etc/mail/lmtp-iq.conf notice_senders "$NOTICE_SENDER"
	echo 1 > /var/lib/lmtp-iq/u.alice
	run dpkg -i "$DEB"
	assert_status 0
	[ "$(/usr/libexec/lmtp-iq -V)" = "lmtp-iq $VERSION" ]
	grep -qx "notice_senders = $NOTICE_SENDER" /etc/mail/lmtp-iq.conf
	[ "$(cat /var/lib/lmtp-iq/u.alice)" = 1 ]
}

@test "deb: under systemd, dpkg -r stops and disables the socket and the timer a site may have enabled (deb-systemd-invoke, deb-systemd-helper)" {
	dpkg -i "$DEB" >/dev/null
	# systemd as PID 1 is out of reach here: its marker directory and
	# the two helpers, which record how they are called, stand in.
	D=$(make_tmp systemd)
	mkdir "$D/bin"
	for h in deb-systemd-invoke deb-systemd-helper; do
		printf '#!/bin/sh
echo "%s $*" >> %s/calls
' "$h" "$D" > "$D/bin/$h"
		chmod 755 "$D/bin/$h"
	done
	run unshare -m sh -c 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system &&
		PATH=$1/bin:$PATH exec dpkg -r lmtp-iq' sh "$D"
	assert_status 0
	grep -qx 'deb-systemd-invoke stop lmtp-iq.socket' "$D/calls"
	grep -qx 'deb-systemd-helper disable lmtp-iq.socket' "$D/calls"
	grep -qx 'deb-systemd-invoke stop lmtp-iq-quota-warn.timer' "$D/calls"
	grep -qx 'deb-systemd-helper disable lmtp-iq-quota-warn.timer' "$D/calls"
	rm -rf "$D"
}

@test "deb: dpkg -r leaves the site's config and state; dpkg --purge leaves nothing of the package behind" {
	dpkg -i "$DEB" >/dev/null
	run dpkg -r lmtp-iq
	assert_status 0
	[ ! -e /usr/libexec/lmtp-iq ]
	[ -f /etc/mail/lmtp-iq.conf ]
	[ -d /var/lib/lmtp-iq ]
	run dpkg --purge lmtp-iq
	assert_status 0
	[ ! -e /usr/libexec/lmtp-iq ]
	[ ! -e /usr/sbin/lmtp-iq-quota-warn ]
	[ ! -e /etc/cron.d/lmtp-iq ]
	[ ! -e /usr/share/man/man8/lmtp-iq.8.gz ]
	[ ! -e /usr/share/man/man5/lmtp-iq.conf.5.gz ]
	[ ! -e /usr/share/sendmail/cf/mailer/lmtp_iq.m4 ]
	[ ! -e /usr/share/sendmail/cf/feature/lmtp_iq_notices.m4 ]
	[ ! -e /usr/lib/systemd/system/lmtp-iq.socket ]
	[ ! -e /usr/lib/systemd/system/lmtp-iq@.service ]
	[ ! -e /etc/mail/lmtp-iq.conf ]
	[ ! -e /var/lib/lmtp-iq ]
	[ ! -e /usr/share/doc/lmtp-iq ]
	run dpkg-query -W lmtp-iq
	assert_output_lacks 'lmtp-iq'$'\t'
}
