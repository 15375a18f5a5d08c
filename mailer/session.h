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
	int used;		/* a transaction ran on this connection */
	struct policy_verdict pv;	/* the last transaction's */
};

/* What one recipient's outcome says, for logs and LMTP replies. */
struct session_outcome {
	int code;		/* the reply code; 451 for no verdict */
	char dsn[16];		/* enhanced status code, never empty */
	const char *text;	/* the server's reply, or why there is none */
};

void session_init(struct session *s, const struct config *cfg, int verbose,
    int keep);

/* Our name: lhlo_name, else the host name, else "localhost".  Sent with
 * LHLO upstream, and given in the greeting in LMTP mode. */
void session_local_name(const struct config *cfg, char *buf, size_t cap);

/* The server list in order until one takes the session: connect, LHLO,
 * STARTTLS, AUTH, and IGNOREQUOTA offered when need_iq.  -1: s->l.err
 * names every server tried and why each was left (all transient).
 * Nothing after this waits past delivery_timeout from now. */
int session_open(struct session *s, int need_iq);

/* One server (spec) alone, nothing waiting past deadline. */
int session_open_at(struct session *s, const char *spec, int need_iq,
    long long deadline);

/* One transaction: a kept connection is checked with RSET and opened
 * again when that fails; the policy is decided for x->sender.  Returns
 * what lmtp_deliver does (LMTP_OK, -1, LMTP_EINPUT); a policy refusal
 * is -1 with LF_POLICY. */
int session_deliver(struct session *s, struct lmtp_txn *x);

void session_outcome(const struct session *s, const struct lmtp_rcpt *rc,
    struct session_outcome *o);

/* The LOG_MAIL line for a recipient; failures also on stderr when
 * to_stderr is set (argv mode: Sendmail puts it in the bounce). */
void session_report(const struct session *s, const struct lmtp_rcpt *rc,
    int to_stderr);

/* QUIT (when in step) and close. */
void session_close(struct session *s);

#endif
