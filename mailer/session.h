/* SPDX-License-Identifier: ISC */
/*
 * session.h - the upstream LMTP session as the mailer uses it: opened
 * (connect, LHLO, AUTH) when a transaction needs it, kept for the next
 * one in LMTP mode, the IGNOREQUOTA policy applied to each transaction,
 * and each recipient's outcome put into words for syslog and replies.
 */
#ifndef LMTPIQ_SESSION_H
#define LMTPIQ_SESSION_H

#include "config.h"
#include "lmtp.h"
#include "policy.h"
#include "transport.h"

struct session {
	const struct config *cfg;
	int verbose;		/* trace the dialogue */
	int keep;		/* serve more than one transaction */
	struct transport t;
	struct lmtp l;
	struct policy_verdict pv;	/* the last transaction's */
	char lhlo_name[256];	/* session_local_name, found once */
};

/* What one recipient's outcome says, for logs and LMTP replies. */
struct session_outcome {
	int code;		/* the reply code; 451 for no verdict */
	char dsn[16];		/* enhanced status code, never empty */
	const char *text;	/* the server's reply, or why there is none */
	const char *words;	/* the reply without its codes; NULL when
				 * there was no reply */
};

void session_init(struct session *s, const struct config *cfg, int verbose,
    int keep);

/* Our name: lhlo_name, else the host name, else "localhost".  Sent with
 * LHLO upstream, and given in the greeting in LMTP mode. */
void session_local_name(const struct config *cfg, char *buf, size_t cap);

/* One server (spec) alone, nothing waiting past deadline. */
int session_open_at(struct session *s, const char *spec, int need_iq,
    long long deadline);

/* One transaction: a kept connection is checked with RSET and opened
 * again when that fails; the policy is decided for x->sender.  LMTP_OK,
 * LMTP_EFAIL (a policy refusal too, with LF_POLICY) or LMTP_EINPUT. */
enum lmtp_result session_deliver(struct session *s, struct lmtp_txn *x);

/* The same for a notice lmtp-iq writes itself (refusal.c): IGNOREQUOTA
 * required, whatever the policy and notice_senders say. */
enum lmtp_result session_deliver_notice(struct session *s,
    struct lmtp_txn *x);

void session_outcome(const struct session *s, const struct lmtp_rcpt *rc,
    struct session_outcome *o);

/* What names the message on its log lines, so that a postmaster can
 * follow it from the MTA's queue id to the server's own line. */
#define SESSION_QID_MAX 256	/* TRACE's limit: 255 and the NUL */
struct session_trail {
	char qid[SESSION_QID_MAX];	/* the MTA's queue id, or "" */
	const char *sender;		/* "" for <> */
	char msgid[256];		/* "<...>" as shown, or "" */
	long long size;			/* bytes, -1 unknown */
	long long start_ms;		/* when the transaction began */
};

/* The LOG_MAIL line for a recipient, naming the message (t). */
void session_report(const struct session *s, const struct lmtp_rcpt *rc,
    const struct session_trail *t);

/* A failed recipient's line on stderr, its status first ("4.2.2
 * lmtp-iq: alice: 452 4.2.2 Over quota"): argv mode, where Sendmail
 * puts it in the bounce and Postfix's pipe(8) takes the status. */
void session_tell(const struct session *s, const struct lmtp_rcpt *rc);

/* Why the session failed (the last failure), for messages. */
const char *session_error(const struct session *s);

/* QUIT (when in step) and close. */
void session_close(struct session *s);

/* What a session showed, step by step, as far as it got: for -n.  The
 * session layer fills it from the layers below it. */
struct session_description {
	char greeting[LMTP_REPLY_TEXT_MAX];	/* "" when none came */
	char caps_plain[200];	/* capabilities before STARTTLS */
	char auth_mechs_plain[512];
	int auth_plain;		/* AUTH was offered before STARTTLS */
	int starttls_offered;
	int is_unix;
	int tls_tried;		/* STARTTLS was sent */
	const char *tls_library;	/* loaded for it, or NULL */
	const char *sasl_library;	/* loaded for AUTH, or NULL */
	struct stls_info tls;	/* what the handshake showed; zeroes
				 * when STARTTLS was never begun */
	char caps[200];		/* after STARTTLS, when TLS came up */
	char auth_mechs[512];
	int auth;		/* AUTH offered (after STARTTLS if it came up) */
	int ignorequota;	/* IGNOREQUOTA offered */
	int password_ok;	/* PLAIN and LOGIN may be used on this link */
	char password_why[200];	/* which rule said so */
};

void session_describe(const struct session *s,
    struct session_description *d);

/* MAIL FROM:<> then RSET, as a delivery would start: 1 when MAIL was
 * accepted (text gets the reply, or why there was none). */
int session_try_mail(struct session *s, char *text, size_t cap);

#endif
