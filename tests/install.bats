#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# make install puts everything where a Debian Sendmail + Cyrus host looks,
# honouring DESTDIR and PREFIX; the installed m4 files build a working
# mailer definition with the documented defaults.

load helpers/common

setup() {
	DEST=$(make_tmp install)
}

teardown() {
	rm -rf "$DEST"
}

@test "install: DESTDIR and the default PREFIX=/usr" {
	before=$(sha256sum < "$LMTP_IQ")
	run make -C "$TOP" install DESTDIR="$DEST"
	assert_status 0
	# Installing builds nothing anew (the suite may be a SANITIZE=1 run).
	[ "$(sha256sum < "$LMTP_IQ")" = "$before" ]
	cmp "$LMTP_IQ" "$DEST/usr/libexec/lmtp-iq"
	[ -x "$DEST/usr/libexec/lmtp-iq" ]
	[ "$(stat -c %a "$DEST/usr/libexec/lmtp-iq")" = 755 ]
	[ -f "$DEST/usr/share/man/man8/lmtp-iq.8" ]
	[ -f "$DEST/usr/share/man/man5/lmtp-iq.conf.5" ]
	[ -f "$DEST/usr/share/sendmail/cf/mailer/lmtp_iq.m4" ]
	[ -f "$DEST/usr/share/sendmail/cf/feature/lmtp_iq_notices.m4" ]
	cmp "$TOP/docs/examples/refusal-notice" "$DEST/usr/share/lmtp-iq/refusal-notice"
	# The binary looks for the sample template where it is installed.
	conf_write "$DEST/conf" refusal_notice yes refusal_notice_from q@example.org notice_senders "$NOTICE_SENDER"
	LMTPIQ_CONF=$DEST/conf LMTPIQ_SERVER=unix:/nonexistent run lmtp_iq -n
	assert_output_has 'template /usr/share/lmtp-iq/refusal-notice'
	"$DEST/usr/libexec/lmtp-iq" -V
	run make -C "$TOP" uninstall DESTDIR="$DEST"
	assert_status 0
	[ ! -e "$DEST/usr/libexec/lmtp-iq" ]
	[ ! -e "$DEST/usr/share/sendmail/cf/mailer/lmtp_iq.m4" ]
	[ ! -e "$DEST/usr/share/lmtp-iq" ]
}

@test "install: docs/sendmail.md's table names every file make install puts in place, and nothing else" {
	run make -C "$TOP" install DESTDIR="$DEST/root"
	assert_status 0
	(cd "$DEST/root" && find . -type f | sed 's/^\.//' | sort) > "$DEST/installed"
	awk '/^This installs:$/ { t = 1; next } t && /^\| `\// { split($0, f, "`"); print f[2]; next }
		t && /^$/ && n++ { exit }' "$TOP/docs/sendmail.md" | sort > "$DEST/table"
	[ -s "$DEST/table" ]
	diff "$DEST/table" "$DEST/installed"
}

@test "version: the Makefile's VERSION is the binary's, the man page's and both m4 VERSIONIDs'" {
	v=$(make -s -C "$TOP" print-version)
	[[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	run make -C "$TOP" install DESTDIR="$DEST"
	assert_status 0
	[ "$("$DEST/usr/libexec/lmtp-iq" -V)" = "lmtp-iq $v" ]
	grep -q "^\.TH LMTP-IQ 8 \"[^\"]*\" \"lmtp-iq $v\"" "$DEST/usr/share/man/man8/lmtp-iq.8"
	grep -q "^\.TH LMTP-IQ.CONF 5 \"[^\"]*\" \"lmtp-iq $v\"" "$DEST/usr/share/man/man5/lmtp-iq.conf.5"
	grep -q "VERSIONID(\`\$Id: lmtp_iq.m4,v $v \$')" "$DEST/usr/share/sendmail/cf/mailer/lmtp_iq.m4"
	grep -q "VERSIONID(\`\$Id: lmtp_iq_notices.m4,v $v \$')" "$DEST/usr/share/sendmail/cf/feature/lmtp_iq_notices.m4"
	run ! grep -rq '@VERSION@' "$DEST"
	# Written once: nowhere else in the tree.
	run grep -rlF "$v" "$TOP/mailer" "$TOP/m4" "$TOP/docs" --include='*.[ch8]' --include='*.m4'
	[ -z "$output" ]
}

@test "install: PREFIX and SENDMAIL_CF move the files" {
	run make -C "$TOP" install DESTDIR="$DEST" PREFIX=/opt/iq SENDMAIL_CF=/etc/mail/cf
	assert_status 0
	[ -x "$DEST/opt/iq/libexec/lmtp-iq" ]
	[ -f "$DEST/etc/mail/cf/mailer/lmtp_iq.m4" ]
	[ -f "$DEST/etc/mail/cf/feature/lmtp_iq_notices.m4" ]
}

@test "m4: MAILER(lmtp_iq) with no knobs gives the documented definition" {
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	need_package m4 /usr/bin/m4
	cp -r /usr/share/sendmail/cf "$DEST/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$DEST/cf/mailer/"
	cp "$TOP/m4/lmtp_iq_notices.m4" "$DEST/cf/feature/"
	printf "OSTYPE(\`linux')dnl\nFEATURE(\`lmtp_iq_notices', \`notices.example.org')dnl\nMAILER(\`local')dnl\nMAILER(\`smtp')dnl\nMAILER(\`lmtp_iq')dnl\n" > "$DEST/t.mc"
	m4 -D_CF_DIR_="$DEST/cf/" "$DEST/cf/m4/cf.m4" "$DEST/t.mc" > "$DEST/t.cf"
	grep -q '^Mlmtp_iq,	P=/usr/libexec/lmtp-iq, F=lsDFMnq, S=EnvFromLmtpIq/HdrFromL, R=EnvToL/HdrToL,$' "$DEST/t.cf"
	grep -q '^SEnvFromLmtpIq$' "$DEST/t.cf"
	grep -q '^C{LmtpIqSenders}$' "$DEST/t.cf"
	run ! grep -q 'dnl' "$DEST/t.cf"
	grep -q '^		U=cyrus:mail, T=DNS/RFC822/X-Unix,$' "$DEST/t.cf"
	grep -q '^		A=lmtp-iq -i \$i -f \$g -- \$u$' "$DEST/t.cf"
	grep -q '^C{LmtpIqNotices}notices.example.org$' "$DEST/t.cf"
	grep -q '^SLmtpIq_check_rcpt$' "$DEST/t.cf"
}

@test "m4: on a host without a cyrus user the mailer runs as mail:mail, and m4 says so (Sendmail refuses a .cf whose U= is unknown)" {
	need_root "hides the cyrus user in a private mount namespace"
	mc_build user
	assert_output_lacks 'NOTE'
	grep -q 'U=cyrus:mail, ' "$DEST/user.cf"
	grep -v '^cyrus:' /etc/passwd > "$DEST/passwd"
	without_cyrus user
	assert_output_has '*** NOTE: no user cyrus on this host (a Cyrus elsewhere): the lmtp_iq mailer runs as mail:mail'
	grep -q 'U=mail:mail, ' "$DEST/user.cf"
	# Chosen, it is not second-guessed.
	mc_build chosen "define(\`LMTP_IQ_MAILER_USER', \`lmtpiq:mail')dnl"
	without_cyrus chosen
	assert_output_lacks 'NOTE'
	grep -q 'U=lmtpiq:mail, ' "$DEST/chosen.cf"
}

# without_cyrus NAME: mc_build's m4 run again for $DEST/NAME.mc where
# /etc/passwd is $DEST/passwd.
without_cyrus() {
	run unshare -m sh -c 'mount --bind "$1" /etc/passwd && exec m4 -D_CF_DIR_="$2/cf/" \
		"$2/cf/m4/cf.m4" "$2/$3.mc" 2>&1 > "$2/$3.cf"' sh "$DEST/passwd" "$DEST" "$1"
}

@test "m4: FEATURE(access_db) after FEATURE(lmtp_iq_notices) is an error that says so" {
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	cp -r /usr/share/sendmail/cf "$DEST/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$DEST/cf/mailer/"
	cp "$TOP/m4/lmtp_iq_notices.m4" "$DEST/cf/feature/"
	printf "OSTYPE(\`linux')dnl\nFEATURE(\`lmtp_iq_notices', \`n.example.org')dnl\nFEATURE(\`access_db')dnl\nMAILER(\`lmtp_iq')dnl\n" > "$DEST/t.mc"
	run m4 -D_CF_DIR_="$DEST/cf/" "$DEST/cf/m4/cf.m4" "$DEST/t.mc"
	assert_output_has "*** ERROR: FEATURE(\`access_db') must come before FEATURE(\`lmtp_iq_notices')"
	printf "OSTYPE(\`linux')dnl\nFEATURE(\`access_db')dnl\nFEATURE(\`lmtp_iq_notices', \`n.example.org', \`', \`q@example.org <>')dnl\nMAILER(\`lmtp_iq')dnl\n" > "$DEST/t.mc"
	run m4 -D_CF_DIR_="$DEST/cf/" "$DEST/cf/m4/cf.m4" "$DEST/t.mc"
	assert_output_lacks '*** ERROR'
	assert_output_has 'C{LmtpIqSenders}q@example.org '
	assert_output_has 'R<OK> <>		$# OK				access map: LmtpIq:addr OK'
}

@test "m4: FEATURE(lmtp_iq_notices) only adds its own lines to sendmail.cf, and changes none" {
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	cp -r /usr/share/sendmail/cf "$DEST/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$DEST/cf/mailer/"
	cp "$TOP/m4/lmtp_iq_notices.m4" "$DEST/cf/feature/"
	for with in no yes; do
		{ echo "OSTYPE(\`linux')dnl"
		  echo "FEATURE(\`mailertable')dnl"
		  [ $with = no ] || echo "FEATURE(\`lmtp_iq_notices', \`n.example.org', \`/etc/mail/t', \`q@example.org')dnl"
		  echo "MAILER(\`local')dnl"
		  echo "MAILER(\`lmtp_iq')dnl"; } > "$DEST/$with.mc"
		# _NO_MAKEINFO_: no "built by ... on <date>" header, which
		# differs between two builds that straddle a second.
		m4 -D_NO_MAKEINFO_ -D_CF_DIR_="$DEST/cf/" "$DEST/cf/m4/cf.m4" "$DEST/$with.mc" > "$DEST/$with.cf"
		[ $with = yes ] || sleep 1	# so that they would straddle one
	done
	# Nothing taken away or changed: only added lines.
	diff "$DEST/no.cf" "$DEST/yes.cf" | grep '^<' && false
	# And each added line is the feature's own: comments, its classes,
	# its rulesets and their rules.
	run sh -c "diff '$DEST/no.cf' '$DEST/yes.cf' | sed -n 's/^> //p' |
		grep -Ev '^(#.*|C\{LmtpIq(Notices|Senders|Logins)\}.*|F\{LmtpIqTrusted\}-o /etc/mail/t|SLocal_check_(rcpt|mail)|SLmtpIq_[a-z_]+|R.*|)\$'"
	[ -z "$output" ] || { echo "lines the feature should not add:"; echo "$output"; false; }
}

@test "m4: the knobs change the mailer definition" {
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	cp -r /usr/share/sendmail/cf "$DEST/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$DEST/cf/mailer/"
	{ echo "OSTYPE(\`linux')dnl"
	  echo "define(\`LMTP_IQ_MAILER_PATH', \`/opt/lmtp-iq')dnl"
	  echo "define(\`LMTP_IQ_MAILER_ARGS', \`lmtp-iq -q auto -f \$g -- \$u@\$h')dnl"
	  echo "define(\`LMTP_IQ_MAILER_FLAGS', \`9')dnl"
	  echo "define(\`LMTP_IQ_MAILER_USER', \`mail:mail')dnl"
	  echo "define(\`LMTP_IQ_MAILER_MAX', \`1000000')dnl"
	  echo "define(\`LMTP_IQ_MAILER_QGRP', \`notices')dnl"
	  echo "define(\`LMTP_IQ_MAILER_CHARSET', \`utf-8')dnl"
	  echo "QUEUE_GROUP(\`notices', \`P=/var/spool/mqueue/notices')dnl"
	  echo "MAILER(\`local')dnl"
	  echo "MAILER(\`lmtp_iq')dnl"; } > "$DEST/t.mc"
	m4 -D_CF_DIR_="$DEST/cf/" "$DEST/cf/m4/cf.m4" "$DEST/t.mc" > "$DEST/t.cf"
	grep -q '^Mlmtp_iq,	P=/opt/lmtp-iq, F=lsDFMnq9, ' "$DEST/t.cf"
	grep -q 'M=1000000, C=utf-8, U=mail:mail, T=DNS/RFC822/X-Unix, Q=notices,' "$DEST/t.cf"
	grep -q 'A=lmtp-iq -q auto -f \$g -- \$u@\$h$' "$DEST/t.cf"
}

# mc_build NAME LINES...: an .mc of OSTYPE, the lines and MAILER(lmtp_iq)
# through m4 into $DEST/NAME.cf; m4's messages in $output.
mc_build() {
	local name=$1
	shift
	[ -d "$DEST/cf" ] || cp -r /usr/share/sendmail/cf "$DEST/cf"
	cp "$TOP/m4/lmtp_iq.m4" "$DEST/cf/mailer/"
	{ echo "OSTYPE(\`linux')dnl"
	  printf '%s\n' "$@"
	  echo "MAILER(\`local')dnl"
	  echo "MAILER(\`lmtp_iq')dnl"; } > "$DEST/$name.mc"
	run sh -c "m4 -D_CF_DIR_='$DEST/cf/' '$DEST/cf/m4/cf.m4' '$DEST/$name.mc' 2>&1 >'$DEST/$name.cf'"
}

@test "m4: LMTP mode gives F=mzX, A=lmtp-iq -l and SMTP diagnostics" {
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	mc_build lmtp "define(\`LMTP_IQ_MAILER_MODE', \`lmtp')dnl"
	[ -z "$output" ]
	grep -q '^Mlmtp_iq,	P=/usr/libexec/lmtp-iq, F=lsDFMnqmzX, S=EnvFromLmtpIq/HdrFromL, R=EnvToL/HdrToL,$' "$DEST/lmtp.cf"
	grep -q '^		U=cyrus:mail, T=DNS/RFC822/SMTP,$' "$DEST/lmtp.cf"
	grep -q '^		A=lmtp-iq -l$' "$DEST/lmtp.cf"
	# The knobs still apply.
	mc_build lmtp2 "define(\`LMTP_IQ_MAILER_MODE', \`lmtp')dnl" \
		"define(\`LMTP_IQ_MAILER_ARGS', \`lmtp-iq -l -C /etc/mail/n.conf')dnl"
	grep -q '^		A=lmtp-iq -l -C /etc/mail/n.conf$' "$DEST/lmtp2.cf"
}

@test "m4: F=m in argv mode is an error that points to LMTP mode; an unknown mode is an error" {
	need_package sendmail-cf /usr/share/sendmail/cf/m4/cf.m4
	mc_build argvm "define(\`LMTP_IQ_MAILER_FLAGS', \`m')dnl"
	assert_output_has "*** ERROR: F=m in argv mode"
	assert_output_has "define(\`LMTP_IQ_MAILER_MODE', \`lmtp')"
	# M (a Message-Id header) is not m.
	mc_build argvM "define(\`LMTP_IQ_MAILER_FLAGS', \`M')dnl"
	[ -z "$output" ]
	mc_build bad "define(\`LMTP_IQ_MAILER_MODE', \`smtp')dnl"
	assert_output_has "*** ERROR: LMTP_IQ_MAILER_MODE must be argv or lmtp"
}

@test "build: without libsasl2 or libssl the build stops naming the packages" {
	run make -C "$TOP" need-libs PKG_CONFIG=false
	[ "$status" -ne 0 ]
	assert_output_has 'apt-get install libsasl2-dev libssl-dev'
}

@test "man pages: every config key is in lmtp-iq.conf(5) and reference.md, every option in lmtp-iq(8)" {
	keys=$(sed -n 's/^	[A-Z]*("\([a-z_]*\)",.*/\1/p' "$TOP/mailer/config.c")
	[ "$(echo "$keys" | wc -l)" -ge 12 ]
	for k in $keys; do
		grep -q "^\.BI $k \" = \"" "$TOP/docs/lmtp-iq.conf.5" || { echo "lmtp-iq.conf(5) lacks $k"; false; }
		grep -q "| \`$k\` |" "$TOP/docs/reference.md" || { echo "reference.md lacks $k"; false; }
	done
	opts=$(sed -n 's/^#define OPTIONS "+\([A-Za-z:]*\)".*/\1/p' "$TOP/mailer/options.c" | tr -d ':' | fold -w1)
	[ -n "$opts" ]
	for o in $opts; do
		grep -q "^\.B[IR]\? \\\\-$o\b" "$TOP/docs/lmtp-iq.8" || { echo "lmtp-iq(8) lacks -$o"; false; }
	done
	# The quota job's options, in its own page.
	opts=$(sed -n 's/.*getopt(argc, argv, "+\([A-Za-z:]*\)").*/\1/p' "$TOP/mailer/quotawarn.c" | tr -d ':' | fold -w1)
	[ -n "$opts" ]
	for o in $opts; do
		grep -q "^\.B[IR]\? \\\\-$o\b" "$TOP/docs/lmtp-iq-quota-warn.8" || { echo "lmtp-iq-quota-warn(8) lacks -$o"; false; }
	done
	# And the two long ones.
	for o in help version; do
		grep -q "^\.BR .*\\\\-\\\\-$o\b" "$TOP/docs/lmtp-iq.8" || { echo "lmtp-iq(8) lacks --$o"; false; }
		grep -q "\`--$o\`" "$TOP/docs/reference.md" || { echo "reference.md lacks --$o"; false; }
	done
}

# conf_entry KEY: KEY's entry in lmtp-iq.conf(5) as mandoc renders it,
# on one line, spaces squeezed.
conf_entry() {
	mandoc -Tutf8 "$TOP/docs/lmtp-iq.conf.5" | sed "s/.\x08//g" | expand |
		awk -v k="$1" '/^       [a-z_]+ = / { on = ($1 == k) } on' | tr -s ' \n' '  '
}

@test "man pages: each default in lmtp-iq.conf(5) and reference.md is the one the config rows give (config_key); no key without a row" {
	need_package mandoc /usr/bin/mandoc
	run "$TOP/tests/unit/unit" config-defaults
	assert_status 0
	rows=$output
	[ "$(echo "$rows" | wc -l)" -ge 20 ]
	while IFS=$'\t' read -r key def; do
		entry=$(conf_entry "$key")
		[ -n "$entry" ] || { echo "lmtp-iq.conf(5) has no entry for $key"; false; }
		[ -n "$def" ] || continue
		[[ "$entry" == *"Default $def"[.,]* || "$entry" == *"Default: $def"[.,]* ||
			"$entry" == *"$def (default)"* ]] ||
			{ echo "$key: the rows say $def; lmtp-iq.conf(5) says: $entry"; false; }
		# reference.md's table: the default is the last column (a gloss may
		# follow it after a comma or in parentheses).
		ref=$(grep "^| \`$key\` |" "$TOP/docs/reference.md" | awk -F'|' '{ print $(NF - 1) }' | tr -d ' `')
		[[ "$ref" == "$def" || "$ref" == "$def"[,\(]* ]] || { echo "$key: the rows say $def; reference.md says $ref"; false; }
	done <<< "$rows"
	# Every key the page describes has a row.
	for key in $(mandoc -Tutf8 "$TOP/docs/lmtp-iq.conf.5" | sed "s/.\x08//g" | expand |
		sed -n 's/^       \([a-z_]*\) = .*/\1/p'); do
		grep -q "^$key	" <<< "$rows" || { echo "lmtp-iq.conf(5) describes $key, which no row has"; false; }
	done
}

@test "units: the service keeps Cyrus's mail store, databases and Sieve scripts out of reach (every directory Debian's imapd.conf names)" {
	need_package cyrus-common /etc/imapd.conf
	local paths key dir
	paths=" $(sed -n 's/^InaccessiblePaths=//p' "$TOP/systemd/lmtp-iq@.service" | sed 's/^-//; s/ -/ /g') "
	for key in partition-default configdirectory sievedir; do
		dir=$(sed -n "s/^$key:[[:space:]]*//p" /etc/imapd.conf)
		[ -n "$dir" ]
		# The directory or one above it is listed.
		while [ -n "$dir" ] && [[ "$paths" != *" $dir "* ]]; do dir=${dir%/*}; done
		[ -n "$dir" ] || { echo "$key is not covered"; false; }
	done
}
