#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# make deb: the package lintian accepts, that installs its files where
# the docs say (Postfix's systemd units and the guides too), whose m4
# files build a sendmail.cf from the README's lines against the
# installed cf tree, and that purges without a trace.

load helpers/common

setup_file() {
	suite_needs_root "installs a package with dpkg" || return 0
	need_package lintian /usr/bin/lintian
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	make -s -C "$TOP" deb >/dev/null
	DEB=$(ls "$TOP"/build/lmtp-iq_*.deb)
	export DEB
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	dpkg --purge lmtp-iq >/dev/null 2>&1 || true
}

setup() {
	suite_skip_check
}

@test "deb: lintian reports no errors" {
	run lintian "$DEB"
	assert_output_lacks 'E: '
}

@test "deb: the package depends by name on the packages that ship libssl.so.3 and libsasl2.so.2 (loaded with dlopen, which dpkg-shlibdeps cannot see)" {
	# libssl3 on Debian 12, libssl3t64 on 13: whichever ships the soname.
	ssl=$(dpkg-query -S '*/libssl.so.3' | sed -n '1s/:.*//p')
	sasl=$(dpkg-query -S '*/libsasl2.so.2' | sed -n '1s/:.*//p')
	[ -n "$ssl" ] && [ -n "$sasl" ]
	run dpkg-deb -f "$DEB" Depends
	echo "$output" | grep -Eq "(^|, )$ssl \(>= [^)]*\)(,|$)"
	echo "$output" | grep -Eq "(^|, )$sasl \(>= [^)]*\)(,|$)"
	echo "$output" | grep -Eq '(^|, )libc6 \(>= [^)]*\)(,|$)'
}

@test "deb: dpkg installs the program, man pages, m4 files and the conffile where the docs say" {
	run dpkg -i "$DEB"
	assert_status 0
	[ -x /usr/libexec/lmtp-iq ]
	[ "$(/usr/libexec/lmtp-iq -V)" = "lmtp-iq $(make -s -C "$TOP" print-version)" ]
	[ -f /usr/share/man/man8/lmtp-iq.8.gz ]
	[ -f /usr/share/man/man5/lmtp-iq.conf.5.gz ]
	[ -f /usr/share/sendmail/cf/mailer/lmtp_iq.m4 ]
	[ -f /usr/share/sendmail/cf/feature/lmtp_iq_notices.m4 ]
	# Postfix's LMTP way (docs/postfix.md): shipped, not enabled.
	[ -f /usr/lib/systemd/system/lmtp-iq.socket ]
	[ -f /usr/lib/systemd/system/lmtp-iq@.service ]
	# The guides the man page points to, as the source has them.
	for d in README.md docs/sendmail.md docs/postfix.md docs/reference.md docs/auth.md docs/murder.md; do
		zcat "/usr/share/doc/lmtp-iq/${d##*/}.gz" | cmp - "$TOP/$d"
	done
	[ -f /etc/mail/lmtp-iq.conf ]
	dpkg-query -W -f='${Conffiles}\n' lmtp-iq | grep -q '/etc/mail/lmtp-iq.conf'
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
	grep -q "lmtp_iq.m4,v $(make -s -C "$TOP" print-version) " "$D/sendmail.cf"
	run sh -c 'echo "\$Z" | sendmail-mta -C "$1" -bt' sh "$D/sendmail.cf"
	assert_status 0
	assert_output_lacks 'unknown configuration line'
	rm -rf "$D"
}

@test "deb: dpkg --purge leaves nothing of the package behind" {
	run dpkg --purge lmtp-iq
	assert_status 0
	[ ! -e /usr/libexec/lmtp-iq ]
	[ ! -e /usr/share/man/man8/lmtp-iq.8.gz ]
	[ ! -e /usr/share/man/man5/lmtp-iq.conf.5.gz ]
	[ ! -e /usr/share/sendmail/cf/mailer/lmtp_iq.m4 ]
	[ ! -e /usr/share/sendmail/cf/feature/lmtp_iq_notices.m4 ]
	[ ! -e /usr/lib/systemd/system/lmtp-iq.socket ]
	[ ! -e /usr/lib/systemd/system/lmtp-iq@.service ]
	[ ! -e /etc/mail/lmtp-iq.conf ]
	[ ! -e /usr/share/doc/lmtp-iq ]
	! dpkg-query -W lmtp-iq 2>/dev/null | grep -q .
}
