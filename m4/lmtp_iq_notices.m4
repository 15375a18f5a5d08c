divert(-1)
dnl SPDX-License-Identifier: ISC
dnl
dnl lmtp_iq_notices.m4 - make the notice route safe.  Mail for a notice
dnl domain is delivered past every quota (mailer lmtp_iq), so only senders
dnl the postmaster trusts may use it.  In sendmail.mc:
dnl
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org')
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org', `/etc/mail/lmtp-iq.trusted')
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org', `', `quota-warn@example.org <>')
dnl	FEATURE(`lmtp_iq_notices', `', `', `quota-warn@example.org')
dnl
dnl The first argument lists the notice domains (space separated; they are
dnl also routed to lmtp_iq: in the mailertable); it may be empty when
dnl lmtp_iq is the local mailer and notices go to users' own addresses.  The optional second one
dnl is a file of trusted SMTP client addresses or prefixes, one a line
dnl ("192.0.2.10", "10.1"); LOCAL_CONFIG may add C{LmtpIqTrusted} lines.
dnl The optional third one lists the notice senders (lmtp-iq.conf's
dnl notice_senders); untrusted clients may not use them at MAIL.  "<>"
dnl there is ignored: bounces must be accepted from anyone.
dnl
dnl Trusted: the local submission path (the command line, -bs, and the
dnl MSP, which submits over loopback, i.e. no client address or
dnl loopback); SMTP clients that authenticated (any ${auth_type});
dnl clients in class {LmtpIqTrusted}; with the access map (its FEATURE
dnl before this one), clients whose address or network has an entry
dnl "LmtpIq:192.0.2.10  OK".
dnl
dnl An untrusted client gets "550 5.7.1" at RCPT for a notice address,
dnl and at MAIL for a sender in a notice domain (the bounce, or a
dnl NOTIFY=SUCCESS receipt, would otherwise be delivered past the quota)
dnl or a notice sender.  Accepted notices skip the relay check, so the
dnl notice domain need not be in relay-domains; conversely,
dnl relay-domains, a RELAY access entry or a relaying network never open
dnl the notice route to anybody else.
dnl

divert(0)
VERSIONID(`$Id: lmtp_iq_notices.m4,v @VERSION@ $')
divert(-1)

define(`_LMTP_IQ_SENDERS_', patsubst(patsubst(_ARG3_, `<>', `'), `^ *\(.*[^ ]\)? *$', `\1'))
ifelse(index(_ARG3_, `<>'), `-1', `', `define(`_LMTP_IQ_SENDERS_NULL_', `1')')
ifelse(_ARG_, `', `ifelse(defn(`_LMTP_IQ_SENDERS_'), `', `errprint(`*** ERROR: FEATURE(lmtp_iq_notices) needs a notice domain, notice senders (third argument), or both
')')')

define(`_LMTP_IQ_NOTICES_', `1')
dnl Read by MAILER(lmtp_iq): FEATURE(access_db) after this one would
dnl leave the LmtpIq: access entries silently unused.
ifdef(`_ACCESS_TABLE_', `', `define(`_LMTP_IQ_NOTICES_NO_ACCESS_', `1')')

LOCAL_CONFIG
# lmtp_iq_notices: notice domains, notice senders, trusted clients
C{LmtpIqNotices}_ARG_
C{LmtpIqSenders}patsubst(_ARG3_, `<>', `')
ifelse(_ARG2_, `', `', `F{LmtpIqTrusted}-o _ARG2_')

LOCAL_RULESETS
# lmtp_iq_notices: check notice recipients and senders first; pass
# everything else on unchanged to the rest of Local_check_rcpt,
# Local_check_mail and check_rcpt, check_mail.
SLocal_check_rcpt
R$*			$: $1 $| $>"LmtpIq_check_rcpt" $1
R$* $| $#$*		$#$2
R$* $| $*		$: $1

SLocal_check_mail
R$*			$: $1 $| $>"LmtpIq_check_mail" $1
R$* $| $#$*		$#$2
R$* $| $*		$: $1

SLmtpIq_check_rcpt
R$*			$: $>CanonAddr $1
R$* < @ $* . >		$1 < @ $2 >			strip trailing dots
R$* < @ $={LmtpIqNotices} >	$@ $>"LmtpIq_notice_ok" $1
R$*			$@ OTHER			not a notice

SLmtpIq_check_mail
R<>			$@ OTHER			bounces come from anyone
R$*			$: $>CanonAddr $1
R$*			$: $1 $| $>"LmtpIq_listed" $1
R$* $| LISTED		$@ $>"LmtpIq_sender_ok" $1
R$* $| $*		$: $1
# The sender as the lmtp_iq mailer will be given it (S=EnvFromLmtpIq):
# qualified (always_add_domain) and masqueraded (masquerade_envelope).
# An outsider must not reach a notice sender through either.
R$*			$: $>AddDomain $1
ifdef(`_LOCAL_NO_MASQUERADE_', `dnl', `R$*			$: $>MasqEnv $1')
R$*			$: $>"LmtpIq_listed" $1
RLISTED			$@ $>"LmtpIq_sender_ok" LISTED
R$*			$@ OTHER			not a notice sender

SLmtpIq_listed
R$* < @ $* . >		$1 < @ $2 >			strip trailing dots
R$* < @ *LOCAL* >	$1 < @ $j >
R$* < @ $={LmtpIqNotices} >	$@ LISTED			in a notice domain
R$* < @ $* >		$: $1 @ $2
R$={LmtpIqSenders}	$@ LISTED			a notice sender
R$*			$@ $1

SLmtpIq_sender_ok
R$*			$: $1 $| $>"LmtpIq_trusted" $1
R$* $| $#OK		$@ OTHER			trusted: the usual checks go on
R$*			$#error $@ 5.7.1 $: "550 Notice sender: only local or authenticated clients may use it"

SLmtpIq_notice_ok
R$*			$: $1 $| $>"LmtpIq_trusted" $1
R$* $| $#OK		$# OK
R$*			$#error $@ 5.7.1 $: "550 Notice address: only local or authenticated senders may use it"

SLmtpIq_trusted
R$*			$: < $&{auth_type} >
R< $+ >			$# OK				authenticated
R$*			$: < $&{client_addr} >
R< >			$# OK				command line
R< 0 >			$# OK				-bs: no peer address
R< 127 . $* >		$# OK				loopback (MSP)
R< IPv6 : : : 1 >	$# OK				loopback (MSP)
R< $={LmtpIqTrusted} >	$# OK				trusted client
R< $={LmtpIqTrusted} . $* >	$# OK			trusted network
ifdef(`_ACCESS_TABLE_', `R$*			$: $>A <$&{client_addr}> <?> <! LmtpIq> <>
R<OK> <>		$# OK				access map: LmtpIq:addr OK
')dnl
R$*			$@ UNTRUSTED

divert(-1)
