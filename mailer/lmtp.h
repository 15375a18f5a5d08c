/* SPDX-License-Identifier: ISC */
/*
 * lmtp.h - an LMTP client (RFC 2033): greeting, LHLO, one transaction
 * with per-recipient replies.  It knows nothing of Sendmail, sysexits or
 * where its settings came from.
 */
#ifndef LMTPIQ_LMTP_H
#define LMTPIQ_LMTP_H

#include <stddef.h>

#include "transport.h"

/* How much of a reply's text is kept for messages; longer is cut. */
#define LMTP_REPLY_TEXT_MAX 1024
#define LMTP_ERR_MAX 1024
/* Commands written but not yet answered, at most (RFC 2920 3.1: a client
 * must not let the server's replies fill the connection while it is
 * still writing).  64 short replies stay far below any socket buffer. */
#define LMTP_WINDOW 64

/* Why a session ended without a verdict: chooses the DSN code. */
enum lmtp_fault {
	LF_NONE,
	LF_CONNECT,		/* no connection */
	LF_TIMEOUT,		/* the server stopped answering */
	LF_DEADLINE,		/* the whole-delivery time limit */
	LF_LOST,		/* the connection broke */
	LF_PROTOCOL,		/* garbage, or replies out of turn */
	LF_REFUSED,		/* greeting or LHLO refused */
	LF_AUTH,		/* AUTH failed */
	LF_POLICY,		/* the server lacks what the policy requires */
	LF_TLS,			/* STARTTLS refused where required, or TLS failed */
};

enum lmtp_cap {
	LMTP_CAP_PIPELINING = 1 << 0,
	LMTP_CAP_8BITMIME = 1 << 1,
	LMTP_CAP_SIZE = 1 << 2,
	LMTP_CAP_IGNOREQUOTA = 1 << 3,
	LMTP_CAP_ENHANCEDSTATUSCODES = 1 << 4,
	LMTP_CAP_AUTH = 1 << 5,
	LMTP_CAP_STARTTLS = 1 << 6,
	LMTP_CAP_TRACE = 1 << 7,	/* Cyrus 3.13.1: TRACE <id> */
};

struct lmtp_reply {
	int code;		/* 200..599 */
	char enh[16];		/* "5.1.1" from the last line, or "" */
	char text[LMTP_REPLY_TEXT_MAX];	/* one line for humans */
};

/* The client's steps, greeting to QUIT, in the order a session meets
 * them.  lmtp.c keeps one table of what each is called in messages and
 * how long its reply may take; the bytes sent are built apart. */
enum lmtp_step {
	LMTP_STEP_GREETING,
	LMTP_STEP_LHLO,
	LMTP_STEP_STARTTLS,
	LMTP_STEP_AUTH,
	LMTP_STEP_RSET,
	LMTP_STEP_TRACE,
	LMTP_STEP_MAIL,
	LMTP_STEP_RCPT,
	LMTP_STEP_DATA,
	LMTP_STEP_DOT,		/* the final dot: one reply per recipient */
	LMTP_STEP_QUIT,
};

struct lmtp_rcpt {
	const char *addr;
	int accepted;		/* RCPT got 2xx: a reply follows the dot */
	int have_verdict;	/* 0: the outcome is unknown */
	enum lmtp_step step;	/* whose reply the verdict is: MAIL, RCPT,
				 * DATA or DOT */
	struct lmtp_reply reply;
};

/* What the connection is: it lasts from the greeting until the close,
 * and a new connection starts it afresh. */
struct lmtp_conn {
	unsigned caps;
	char auth_mechs[512];	/* the AUTH line's mechanisms, space separated */
	unsigned caps_plain;	/* what LHLO offered before STARTTLS */
	char auth_mechs_plain[512];
	int tls_tried;		/* STARTTLS was sent */
	int tls_started;	/* ... and accepted: the handshake began */
	int served;		/* a transaction ran on it: the next one
				 * starts with RSET */
	char greeting[LMTP_REPLY_TEXT_MAX];
};

/* What one transaction has done so far: cleared as each one starts. */
struct lmtp_progress {
	int after_dot;		/* the final dot was sent: a retry may duplicate */
	int quit_sent;		/* QUIT went out pipelined behind the dot */
	int quit_answered;	/* its 2xx was read: nothing left to say */
};

struct lmtp {
	struct transport *t;
	/* Settings, from lmtp_params. */
	int trace;		/* >>> / <<< lines through log_trace */
	int timeout_ms;		/* for each ordinary reply */
	int data_timeout_ms;	/* for each reply after the final dot */
	int keep_open;		/* the session serves more transactions: no
				 * QUIT behind the dot */
	char lhlo_name[256];
	struct lmtp_conn conn;
	struct lmtp_progress txn;
	enum lmtp_fault fault;	/* why, when the session failed */
	char err[LMTP_ERR_MAX];	/* why the session failed */
};

/* What a transaction comes to, and what its body callback returns. */
enum lmtp_result {
	LMTP_OK = 0,		/* every recipient may still have no verdict */
	LMTP_EFAIL = -1,	/* the session failed (l->err says why); from
				 * a body callback: the transport failed */
	LMTP_EINPUT = -2,	/* the body could not be read */
	LMTP_ESTALE = -3,	/* the RSET ahead of it on a connection that
				 * served a transaction failed: nothing was
				 * delivered; open a new session and retry */
};

/* What an envelope source has next (lmtp_txn.more). */
enum lmtp_more {
	LMTP_MORE_RCPT,		/* one recipient more: x->nrcpts grew by one */
	LMTP_MORE_DATA,		/* the recipients are all there: DATA */
	LMTP_MORE_NONE,		/* nothing yet, and may_wait was 0 */
	LMTP_MORE_STOP,		/* no DATA will come: the transaction is
				 * abandoned (nothing is stored) */
};

/* What to send in one transaction. */
struct lmtp_txn {
	const char *sender;	/* "" for the null sender */
	long long size;		/* SIZE= estimate, or -1 if unknown */
	const char *rcpt_param;	/* e.g. "IGNOREQUOTA", or NULL */
	struct lmtp_rcpt *rcpts;
	size_t nrcpts;
	/* Writes the dot-stuffed body (not the final dot) to t: LMTP_OK,
	 * LMTP_EFAIL (t->err) or LMTP_EINPUT. */
	enum lmtp_result (*body)(void *ctx, struct transport *t);
	void *body_ctx;
	/* When set, called as each recipient's reply to the final dot
	 * comes in (i: its index), so that it can be passed on at once. */
	void (*verdict)(void *ctx, size_t i);
	/* The MTA's queue id, or NULL: where the server offers TRACE,
	 * "TRACE <id>" goes ahead of MAIL (after any RSET), so that the
	 * server's log names the message by it too. */
	const char *trace;
	/* When set, the recipients are not all known at the start (LMTP
	 * mode takes them from its own client as they come): called
	 * whenever the envelope could take another command.  may_wait is 0
	 * while replies are still due from the server: then the source
	 * must not block.  A source asked again after it said DATA says
	 * DATA again (a new session repeats the envelope). */
	enum lmtp_more (*more)(void *ctx, struct lmtp_txn *x, int may_wait);
	/* When set, called as the replies to MAIL (i 0) and, once MAIL was
	 * accepted, to each RCPT (i: its index) come in, in order. */
	void (*replied)(void *ctx, enum lmtp_step step, size_t i,
	    const struct lmtp_reply *r);
};

/* 1 while every command has had its reply, so the session may say
 * QUIT or go on: no failure, or one the server answered in step (a
 * refusal, AUTH, the policy, TLS refused before the handshake). */
int lmtp_in_step(const struct lmtp *l);

/* Record why the session failed in l->err; returns -1. */
int lmtp_fail(struct lmtp *l, enum lmtp_fault fault, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A reply's words: its text without the code and enhanced code it
 * starts with (a pointer into r->text). */
const char *lmtp_reply_words(const struct lmtp_reply *r);

/* What a session is given; lmtp.c keeps its own copy. */
struct lmtp_params {
	const char *lhlo_name;
	int trace;		/* >>> / <<< lines through log_trace */
	int keep_open;		/* more transactions follow: no QUIT behind
				 * the dot */
	int timeout_ms;		/* for each ordinary reply */
	int data_timeout_ms;	/* for each reply after the final dot */
};

/* A session over t (connected or not yet), nothing sent.  Every field
 * of l is set here and written only by lmtp.c from now on. */
void lmtp_init(struct lmtp *l, struct transport *t,
    const struct lmtp_params *p);

/* Connect l's transport to spec (transport_connect), within l's reply
 * timeout and nothing waiting past deadline_ms.  -1: l->err says why. */
int lmtp_connect(struct lmtp *l, const char *spec, long long deadline_ms);

/* 1 while the connection is open. */
int lmtp_is_open(const struct lmtp *l);

/* Close at once, no QUIT: a session of no more use, or one whose RSET
 * failed. */
void lmtp_drop(struct lmtp *l);

/* A kept session's next transaction: nothing waits past deadline_ms. */
void lmtp_set_deadline(struct lmtp *l, long long deadline_ms);

/* Read the greeting and send LHLO.  -1: l->err says why. */
int lmtp_open(struct lmtp *l);

/* What STARTTLS came to. */
enum lmtp_tls {
	LMTP_TLS_UP,		/* TLS is up, LHLO said again */
	LMTP_TLS_REFUSED,	/* the server refused STARTTLS (its reply in r) */
	LMTP_TLS_FAILED,	/* l->err says why */
};

/* STARTTLS, the handshake, and LHLO again (RFC 3207 4.2: what the
 * server said before TLS is forgotten). */
enum lmtp_tls lmtp_starttls(struct lmtp *l, const struct stls_settings *s,
    struct lmtp_reply *r);

/* Send a command line (CRLF added) for step and read its reply. */
int lmtp_command(struct lmtp *l, enum lmtp_step step, const char *line,
    struct lmtp_reply *r);

/* An AUTH line: the trace shows shown_as instead of it, and the
 * transport's write buffer is wiped once it is out.  The reply's last
 * line goes into raw as well (a challenge can be longer than the text a
 * reply keeps). */
int lmtp_auth_command(struct lmtp *l, const char *line, const char *shown_as,
    struct lmtp_reply *r, char *raw, size_t rawcap);

/* One transaction.  Fills in each recipient's verdict; those left without
 * one have no known outcome (l->err says why).  On a connection that
 * served one already it starts with RSET (pipelined ahead of MAIL where
 * the server offers PIPELINING).  LMTP_OK, LMTP_EFAIL, LMTP_EINPUT, or
 * LMTP_ESTALE (that RSET failed). */
enum lmtp_result lmtp_deliver(struct lmtp *l, struct lmtp_txn *x);

/* RSET on a kept session before its next transaction: 0 when the
 * server answered 250, else -1 (l->err says why; open a new one). */
int lmtp_reset(struct lmtp *l);

/* QUIT without waiting long for the answer, then close. */
void lmtp_quit(struct lmtp *l);

/* Names of the capabilities in caps, space separated, into buf. */
void lmtp_caps_string(unsigned caps, char *buf, size_t cap);

#endif
