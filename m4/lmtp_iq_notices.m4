divert(-1)
dnl SPDX-License-Identifier: ISC
dnl
dnl lmtp_iq_notices.m4 - make the notice route safe.  Mail for a notice
dnl domain is delivered past every quota (mailer lmtp_iq), and so is mail
dnl from a notice sender, so only clients the postmaster names may use
dnl either.  In sendmail.mc:
dnl
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org', `', `quota-warn@example.org')
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org', `/etc/mail/lmtp-iq.trusted', `quota-warn@example.org')
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org', `', `quota-warn@example.org', `quotajob:quota-warn@example.org')
dnl	FEATURE(`lmtp_iq_notices', `', `', `quota-warn@example.org')
dnl
dnl The first argument lists the notice domains (space separated; they are
dnl also routed to lmtp_iq: in the mailertable); it may be empty when
dnl lmtp_iq is the local mailer and notices go to users' own addresses.
dnl The optional second one is a file of trusted SMTP client addresses or
dnl prefixes, one a line ("192.0.2.10", "10.1"); LOCAL_CONFIG may add
dnl C{LmtpIqTrusted} lines.  The third one lists the notice senders
dnl (lmtp-iq.conf's notice_senders); "<>" there is ignored: bounces must
dnl be accepted from anyone, and lmtp-iq never takes <> as a notice
dnl sender.  The optional fourth one lists the SMTP AUTH logins that may
dnl send notices, each bound to the sender it may use, as login:sender
dnl ("quotajob:quota-warn@example.org"); LOCAL_CONFIG may add
dnl C{LmtpIqLogins} lines.
dnl
dnl Who may use a notice sender, or send to a notice domain:
dnl - an SMTP client that authenticated: only when its login is listed
dnl   for that envelope sender (fourth argument); any other login is
dnl   refused, whatever else is true of the client;
dnl - local submission (the command line, -bs, and the MSP, which
dnl   submits over loopback without AUTH: no client address, 0, or
dnl   loopback); Sendmail cannot tell local users apart here (any user
dnl   may run sendmail -f), see docs/sendmail.md;
dnl - clients in class {LmtpIqTrusted} (the second argument), and with
dnl   the access map (its FEATURE before this one) clients whose address
dnl   or network has an entry "LmtpIq:192.0.2.10  OK".
dnl Nothing else: not relay-domains, a RELAY access entry, a relaying
dnl network or Debian's FRIEND recipients.
dnl
dnl Where: every check runs at every RCPT (Local_check_rcpt, which
dnl Sendmail calls first, before FEATURE(`delay_checks') can skip the
dnl sender check for a FRIEND recipient or after its relay check said
dnl RELAY); without delay_checks the sender check also runs at MAIL.
dnl A refused client gets "550 5.7.1".  The sender is checked as written
dnl and as the lmtp_iq mailer will be given it (qualified, masqueraded:
dnl S=EnvFromLmtpIq), so rewriting cannot turn an outsider's sender
dnl into a notice sender.  Accepted notices skip the relay check, so the
dnl notice domain need not be in relay-domains.
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
# lmtp_iq_notices: notice domains, notice senders, trusted clients, the
# logins that may send notices (login:sender)
C{LmtpIqNotices}_ARG_
C{LmtpIqSenders}patsubst(_ARG3_, `<>', `')
C{LmtpIqLogins}_ARG4_
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
# The sender again at every RCPT: with delay_checks Sendmail checks the
# sender only from check_rcpt, and not at all for a FRIEND recipient or
# once its relay check said RELAY (an authenticated client).
R$*			$: $1 $| $>"LmtpIq_check_mail" <$&f>
R$* $| $#$*		$#$2
R$* $| $*		$: $>CanonAddr $1
R$* < @ $* . >		$1 < @ $2 >			strip trailing dots
R$* < @ $={LmtpIqNotices} >	$@ $>"LmtpIq_notice_ok" <$&f>
R$*			$@ OTHER			not a notice

SLmtpIq_check_mail
R<>			$@ OTHER			bounces come from anyone
R$*			$: $>CanonAddr $1
R$*			$: $1 $| $>"LmtpIq_listed" $1
R$* $| LISTED		$@ $>"LmtpIq_sender_ok" $1
R$* $| $*		$: $>"LmtpIq_as_mailer" $1
R$*			$: $1 $| $>"LmtpIq_listed" $1
R$* $| LISTED		$@ $>"LmtpIq_sender_ok" $1
R$*			$@ OTHER			not a notice sender

# The sender as the lmtp_iq mailer will be given it (S=EnvFromLmtpIq):
# qualified (always_add_domain) and masqueraded (masquerade_envelope).
# An outsider must not reach a notice sender through either.
SLmtpIq_as_mailer
R$*			$: $>AddDomain $1
ifdef(`_LOCAL_NO_MASQUERADE_', `dnl', `R$*			$: $>MasqEnv $1')

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
R$*			$#error $@ 5.7.1 $: "550 Notice sender: only local clients, listed hosts and the logins listed for it may use it"

SLmtpIq_notice_ok
R$*			$: $>CanonAddr $1
R$*			$: $>"LmtpIq_as_mailer" $1
R$*			$: $1 $| $>"LmtpIq_trusted" $1
R$* $| $#OK		$# OK
R$*			$#error $@ 5.7.1 $: "550 Notice address: only local clients, listed hosts and the logins listed for the sender may use it"

# Whether this client may use the envelope sender given (canonical): an
# authenticated one only by a login:sender entry, whatever else is true
# of it; else local submission, or a listed host.
SLmtpIq_trusted
R$* < @ $* . >		$1 < @ $2 >
R$* < @ *LOCAL* >	$1 < @ $j >
R$* < @ $* >		$1 @ $2
R$*			$: < $&{auth_authen} > $1
R< $+ > $*		$: < $1 : $2 >			authenticated
R< $={LmtpIqLogins} >	$# OK				a login listed for this sender
R< $+ : $* >		$@ UNTRUSTED			any other login
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
