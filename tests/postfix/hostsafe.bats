#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The two commands a newcomer types first never change a live mail host.
# This root is one: Debian 13 with Postfix installed, no Sendmail, and
# the suites' packages missing.  There make demo and make check must see
# that installing what they need would remove Postfix, and run in a
# throwaway root of their own instead (taken from the roots cache that
# inroot lends this one, read-only), leaving Postfix installed and no
# mail daemon running here.  Run by make check-postfix, after the trixie
# root of make check-in is in the cache (.ci/run builds it first).

load ../helpers/common

setup_file() {
	suite_needs_root "apt, mounts and a root of its own" || return 0
}

setup() {
	suite_skip_check
	# This root poses as a host: LMTPIQ_INROOT (set by inroot) would
	# tell make that it is a throwaway root already.
	[ -n "${LMTPIQ_INROOT:-}" ] || skip "run by make check-postfix, in its root"
	dpkg-query -W -f='${Status}\n' postfix | grep -q 'install ok installed'
	run ! dpkg-query -W -f='${Status}\n' sendmail-bin
}

# The names of the mail daemons running here.
mail_daemons() {
	cat /proc/[0-9]*/comm 2>/dev/null | grep -E '^(sendmail|cyrmaster|master|dovecot|lmtpd|imapd|qmgr)' | sort || true
}

# What a host in this state has: Postfix installed, still installed, and
# sendmail-bin not.
postfix_kept() {
	dpkg-query -W -f='${Status}\n' postfix | grep -q 'install ok installed'
	run ! dpkg-query -W -f='${Status}\n' sendmail-bin
	assert_status 1
}

@test "host safety: the plan names why this host is left alone: apt would remove postfix, and postfix is installed" {
	run "$TOP/tests/deps" --plan demo
	assert_status 0
	assert_output_has 'root: apt would remove postfix'
	assert_output_has 'installed: postfix'
	run "$TOP/tests/deps" --plan check
	assert_output_has 'root: apt would remove postfix'
}

@test "host safety: make demo on a Postfix host runs in a root of its own; Postfix stays, nothing is left running" {
	before=$(mail_daemons)
	run env -u LMTPIQ_INROOT make -C "$TOP" demo
	assert_status 0
	assert_output_has 'make demo: this host is left as it was (apt would remove postfix'
	assert_output_has 'make demo: running in a throwaway Debian trixie root of its own'
	# The demo itself ran there: the notice stored past the quota.
	assert_output_has "alice's INBOX: the notice is there, past the quota"
	postfix_kept
	[ "$(mail_daemons)" = "$before" ]
}

@test "host safety: make check on a Postfix host runs in a root of its own; Postfix stays, nothing is left running" {
	before=$(mail_daemons)
	run env -u LMTPIQ_INROOT make -C "$TOP" check SUITES=tests/unit.bats
	assert_status 0
	assert_output_has 'make check: this host is left as it was (apt would remove postfix'
	assert_output_has 'passed, 0 failed, 0 skipped'
	postfix_kept
	[ "$(mail_daemons)" = "$before" ]
}
