PUSHDIVERT(-1)
dnl SPDX-License-Identifier: ISC
dnl
dnl lmtp_iq.m4 - the lmtp_iq mailer: deliver through lmtp-iq, an LMTP
dnl client that adds IGNOREQUOTA, so that over-quota notices reach Cyrus
dnl mailboxes that ordinary mail cannot.  Use it from sendmail.mc as
dnl
dnl	MAILER(`lmtp_iq')
dnl
dnl and route only the notice domain to it, in the mailertable:
dnl
dnl	notices.example.org	lmtp_iq:localhost
dnl
dnl Knobs, each with a default:
dnl	LMTP_IQ_MAILER_MODE	argv: the envelope on argv, one recipient
dnl				per call, the exit status is the verdict;
dnl				lmtp: Sendmail speaks LMTP to lmtp-iq -l,
dnl				a reply per recipient (F=mz)
dnl	LMTP_IQ_MAILER_PATH	the program (/usr/libexec/lmtp-iq)
dnl	LMTP_IQ_MAILER_FLAGS	flags added to the defaults (none)
dnl	LMTP_IQ_MAILER_ARGS	argv (lmtp-iq -i $i -f $g -- $u; lmtp-iq -l)
dnl	LMTP_IQ_MAILER_USER	U=, the user that can reach the Cyrus
dnl				socket and read lmtp-iq.conf (cyrus:mail;
dnl				mail:mail where the host that builds the
dnl				.cf has no user cyrus: Sendmail refuses a
dnl				whole .cf whose U= names an unknown user)
dnl	LMTP_IQ_MAILER_MAX	M=, largest message in bytes (none)
dnl	LMTP_IQ_MAILER_QGRP	Q=, queue group (none)
dnl	LMTP_IQ_MAILER_CHARSET	C=, charset for 8-bit headers (none)
dnl	LMTP_IQ_MAILER_MAXMSGS	m=, messages per connection (none)
dnl	LMTP_IQ_MAILER_MAXRCPTS	r=, recipients per message (none)
dnl
dnl As Sendmail's local mailer, in place of cyrusv2:
dnl
dnl	define(`confLOCAL_MAILER', `lmtp_iq')
dnl
dnl before the MAILER lines.  Then the mode is lmtp (argv is an error),
dnl the flags add cyrusv2's A@/:| (aliases, the user database, files,
dnl :include: and programs from aliases), and A= gets -L: lmtp-iq then
dnl refuses to start unless notice_senders keeps IGNOREQUOTA to a list
dnl without <>.  The list must be FEATURE(`lmtp_iq_notices')'s third
dnl argument, whose MAIL check refuses outsiders who forge it; without
dnl that feature A= also gets -q off, and no local delivery ever
dnl carries IGNOREQUOTA.
dnl
dnl Default flags, lsDFMnq (docs/sendmail.md says why, flag by flag):
dnl	l local final delivery	s strip quotes	D F M need Date, From,
dnl	Message-Id		n no "From " line	q 250 to VRFY
dnl argv mode: not m, one recipient per call, so that each exit status is
dnl exact (m there is an error); not X, lmtp-iq does its own dot-stuffing.
dnl lmtp mode adds m (all recipients in one transaction), z (LMTP) and X
dnl (Sendmail dot-stuffs what it sends over LMTP), and T= names SMTP as
dnl the diagnostic type, so DSNs carry the server's reply.
dnl Not P: Cyrus adds Return-Path.
dnl
dnl S=EnvFromLmtpIq (below) keeps the null sender null, so that a notice
dnl sent with -f '<>' and a DSN reach Cyrus as MAIL FROM:<> and are stored
dnl with Return-Path: <>.  EnvFromL would make it MAILER-DAEMON, and
dnl EnvFromSMTP needs MAILER(smtp).  Sendmail's own DSNs come with the
dnl sender $n (MAILER-DAEMON); an SMTP or LMTP mailer sends them as <>,
dnl and so does this one.  Other senders are qualified as EnvFromL does.
dnl
ifelse(defn(`confLOCAL_MAILER'), `lmtp_iq', `define(`_LMTP_IQ_LOCAL_', `1')')
ifdef(`_LMTP_IQ_LOCAL_', `ifelse(defn(`LMTP_IQ_MAILER_MODE'), `argv',
`errprint(`*** ERROR: lmtp_iq as the local mailer runs in LMTP mode: leave LMTP_IQ_MAILER_MODE out or set it to lmtp
')')define(`LMTP_IQ_MAILER_MODE', `lmtp')')
ifdef(`LMTP_IQ_MAILER_MODE',, `define(`LMTP_IQ_MAILER_MODE', `argv')')
ifelse(LMTP_IQ_MAILER_MODE, `argv',, LMTP_IQ_MAILER_MODE, `lmtp',,
`errprint(`*** ERROR: LMTP_IQ_MAILER_MODE must be argv or lmtp
')')
ifdef(`LMTP_IQ_MAILER_PATH',, `define(`LMTP_IQ_MAILER_PATH', `/usr/libexec/lmtp-iq')')
ifelse(LMTP_IQ_MAILER_MODE, `lmtp',
`ifdef(`LMTP_IQ_MAILER_ARGS',, `define(`LMTP_IQ_MAILER_ARGS', `lmtp-iq -l')')
_DEFIFNOT(`_DEF_LMTP_IQ_MAILER_FLAGS', ifdef(`_LMTP_IQ_LOCAL_', `lsDFMnqmzXA@/:|', `lsDFMnqmzX'))
define(`_LMTP_IQ_DIAG', `SMTP')',
`ifdef(`LMTP_IQ_MAILER_ARGS',, `define(`LMTP_IQ_MAILER_ARGS', `lmtp-iq -i $i -f $g -- $u')')
_DEFIFNOT(`_DEF_LMTP_IQ_MAILER_FLAGS', `lsDFMnq')
define(`_LMTP_IQ_DIAG', `X-Unix')')
ifdef(`LMTP_IQ_MAILER_USER',, `ifelse(esyscmd(`getent passwd cyrus >/dev/null 2>&1 && printf yes'), `yes',
`define(`LMTP_IQ_MAILER_USER', `cyrus:mail')',
`errprint(`*** NOTE: no user cyrus on this host (a Cyrus elsewhere): the lmtp_iq mailer runs as mail:mail, which must read lmtp-iq.conf and its credentials; define(`LMTP_IQ_MAILER_USER') to choose another
')define(`LMTP_IQ_MAILER_USER', `mail:mail')')')
_DEFIFNOT(`LMTP_IQ_MAILER_FLAGS', `')
ifelse(LMTP_IQ_MAILER_MODE, `argv', `ifelse(index(LMTP_IQ_MAILER_FLAGS, `m'), `-1',,
`errprint(`*** ERROR: F=m in argv mode gives one exit status for all recipients; for one transaction per message use LMTP mode: define(`LMTP_IQ_MAILER_MODE', `lmtp')
')')')
ifdef(`_LMTP_IQ_NOTICES_NO_ACCESS_', `ifdef(`_ACCESS_TABLE_', `errprint(`*** ERROR: FEATURE(`access_db') must come before FEATURE(`lmtp_iq_notices'), or LmtpIq: access entries are not read
')')')
ifdef(`_LMTP_IQ_LOCAL_', `ifdef(`_LMTP_IQ_NOTICES_',
`ifelse(defn(`_LMTP_IQ_SENDERS_'), `', `errprint(`*** ERROR: lmtp_iq as the local mailer carries IGNOREQUOTA only for notice senders: name them in the third argument of FEATURE(`lmtp_iq_notices'), and lmtp-iq.conf notice_senders
')')dnl
ifdef(`_LMTP_IQ_SENDERS_NULL_', `errprint(`*** ERROR: lmtp_iq as the local mailer: <> among the notice senders would let any bounce pass the quota
')')dnl
define(`_LMTP_IQ_LOCAL_ARGS', ` -L')',
`define(`_LMTP_IQ_LOCAL_ARGS', ` -L -q off')')',
`define(`_LMTP_IQ_LOCAL_ARGS', `')')
define(`_LMTP_IQ_QGRP', `ifelse(defn(`LMTP_IQ_MAILER_QGRP'),`',`', ` Q=LMTP_IQ_MAILER_QGRP,')')dnl

POPDIVERT

##################################################
###   lmtp-iq (LMTP with IGNOREQUOTA) Mailer   ###
##################################################

VERSIONID(`$Id: lmtp_iq.m4,v @VERSION@ $')

SEnvFromLmtpIq
R<@>			$@ <@>			null sender stays null: MAIL FROM:<>
R@ <@ $*>		$@ <@>			null sender, Sun form
R$n			$@ <@>			Sendmail's own DSNs
R$+			$: $>AddDomain $1	add local domain if needed
ifdef(`_LOCAL_NO_MASQUERADE_', `dnl', `dnl
R$*			$: $>MasqEnv $1		do masquerading')

Mlmtp_iq,	P=LMTP_IQ_MAILER_PATH, F=_MODMF_(CONCAT(_DEF_LMTP_IQ_MAILER_FLAGS, LMTP_IQ_MAILER_FLAGS), `LMTP_IQ'), S=EnvFromLmtpIq/HdrFromL, R=EnvToL/HdrToL,
		_OPTINS(`LMTP_IQ_MAILER_MAX', `M=', `, ')_OPTINS(`LMTP_IQ_MAILER_MAXMSGS', `m=', `, ')_OPTINS(`LMTP_IQ_MAILER_MAXRCPTS', `r=', `, ')_OPTINS(`LMTP_IQ_MAILER_CHARSET', `C=', `, ')U=LMTP_IQ_MAILER_USER, T=DNS/RFC822/_LMTP_IQ_DIAG,_LMTP_IQ_QGRP
		A=LMTP_IQ_MAILER_ARGS`'_LMTP_IQ_LOCAL_ARGS
