divert(-1)
dnl
dnl lmtp_iq_notices.m4 - make the notice route safe.  Mail for a notice
dnl domain is delivered past every quota (mailer lmtp_iq), so only senders
dnl the postmaster trusts may use it.  In sendmail.mc:
dnl
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org')
dnl	FEATURE(`lmtp_iq_notices', `notices.example.org', `/etc/mail/lmtp-iq.trusted')
dnl
dnl The first argument lists the notice domains (space separated; they are
dnl also routed to lmtp_iq: in the mailertable).  The optional second one
dnl is a file of trusted SMTP client addresses or prefixes, one a line
dnl ("192.0.2.10", "10.1"); LOCAL_CONFIG may add C{LmtpIqTrusted} lines.
dnl
dnl At RCPT time a notice address is accepted from:
dnl	- the local submission path: the command line, -bs, and the MSP
dnl	  (which submits over loopback), i.e. no client address or loopback;
dnl	- SMTP clients that authenticated (any ${auth_type});
dnl	- clients in class {LmtpIqTrusted};
dnl	- with the access map (its FEATURE before this one), clients whose
dnl	  address or network has an entry "LmtpIq:192.0.2.10  OK".
dnl Everyone else gets "550 5.7.1".  Accepted notices skip the relay
dnl check, so the notice domain need not be in relay-domains; conversely,
dnl relay-domains, a RELAY access entry or a relaying network never open
dnl the notice route to anybody else.
dnl

divert(0)
VERSIONID(`$Id: lmtp_iq_notices.m4,v 0.1.0 $')
divert(-1)

ifelse(_ARG_, `', `errprint(`*** ERROR: FEATURE(lmtp_iq_notices) needs the notice domain
')')

define(`_LMTP_IQ_NOTICES_', `1')

LOCAL_CONFIG
# lmtp_iq_notices: notice domains, and clients trusted to send to them
C{LmtpIqNotices}_ARG_
ifelse(_ARG2_, `', `', `F{LmtpIqTrusted}-o _ARG2_')

LOCAL_RULESETS
# lmtp_iq_notices: check notice recipients first; pass everything else on
# unchanged to the rest of Local_check_rcpt and check_rcpt.
SLocal_check_rcpt
R$*			$: $1 $| $>"LmtpIq_check_rcpt" $1
R$* $| $#$*		$#$2
R$* $| $*		$: $1

SLmtpIq_check_rcpt
R$*			$: $>CanonAddr $1
R$* < @ $* . >		$1 < @ $2 >			strip trailing dots
R$* < @ $={LmtpIqNotices} >	$@ $>"LmtpIq_notice_ok" $1
R$*			$@ OTHER			not a notice

SLmtpIq_notice_ok
R$*			$: < $&{auth_type} >
R< $+ >			$# OK				authenticated
R$*			$: < $&{client_addr} >
R< >			$# OK				command line
R< 0 >			$# OK				-bs: no peer address
R< 127 . $* >		$# OK				loopback (MSP)
R< IPv6 : : : 1 >	$# OK				loopback (MSP)
R< $={LmtpIqTrusted} >	$# OK				trusted client
R< $={LmtpIqTrusted} . $* >	$# OK			trusted network
ifdef(`_ACCESS_TABLE_', `dnl
R$*			$: $>A <$&{client_addr}> <?> <! LmtpIq> <>
R<OK> <>		$# OK				access map: LmtpIq:addr OK
', `dnl')dnl
R$*			$#error $@ 5.7.1 $: "550 Notice address: only local or authenticated senders may use it"

divert(-1)
