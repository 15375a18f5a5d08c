/* SPDX-License-Identifier: ISC */
/*
 * lmtpd.h - the server side of LMTP (RFC 2033) for -l: commands come on
 * one transport (stdin from Sendmail), replies go back on it, one
 * transaction's envelope at a time.  It knows nothing of where the mail
 * goes: a well-formed MAIL, each well-formed RCPT and DATA are handed
 * to the caller, which answers each (lmtpd_answer, lmtpd_data_start),
 * reads the body through lmtpd_body_read and gives one reply per
 * recipient it accepted.  What lmtpd answers itself (a bad command,
 * NOOP, RSET...) while the caller still owes replies waits behind them,
 * so every reply goes out in the order of the commands.
 */
#ifndef LMTPIQ_LMTPD_H
#define LMTPIQ_LMTPD_H

#include <stddef.h>

#include "address.h"
#include "transport.h"

/* Recipients in one transaction.  The replies to a pipelined group stay
 * in our buffer until the client waits (it may not read while it
 * writes), so they must fit in it: 1000 short replies do. */
#define LMTPD_MAX_RCPTS 1000
/* Bad commands in one session before we give up on the client. */
#define LMTPD_MAX_ERRORS 20
#define LMTPD_ERR_MAX 512

enum lmtpd_event {
	LMTPD_MAIL,		/* MAIL: d->sender, d->size; the caller answers */
	LMTPD_RCPT,		/* RCPT: d->rcpts[d->nrcpts - 1]; the caller
				 * answers */
	LMTPD_DATA,		/* DATA after some RCPT: the caller answers */
	LMTPD_RESET,		/* RSET or LHLO ended the open transaction */
	LMTPD_WAIT,		/* nothing to read without waiting, or a
				 * reply of ours waits behind the caller's */
	LMTPD_END,		/* QUIT, or end of input between transactions */
	LMTPD_FAIL,		/* input lost, timeout, too many errors: d->err */
};

/* One command's own reply, kept while the caller owes replies to the
 * commands before it (the LHLO reply is the longest). */
#define LMTPD_HELD_MAX 2048

struct lmtpd {
	struct transport *t;
	int trace;		/* <-- / --> lines through log_trace */
	int idle_timeout_ms;	/* waiting for a command */
	int timeout_ms;		/* waiting for more of the body */
	char name[256];		/* ours, in the greeting and LHLO reply */
	int greeted;		/* LHLO seen */
	int in_mail;		/* MAIL handed over: a transaction is open */
	int mail_refused;	/* the caller refused MAIL: RCPT and DATA
				 * get 503 until MAIL, RSET or LHLO */
	int errors;
	size_t owed;		/* replies the caller owes, in order */
	char held[LMTPD_HELD_MAX];	/* our reply waiting behind them */
	size_t heldlen;
	int held_result;	/* what its command comes to, once sent */
	int holding;		/* replies go to held, not out */
	char sender[ADDRESS_MAX + 1];	/* "" for the null sender */
	long long size;		/* MAIL's SIZE=, or -1 */
	char **rcpts;		/* recipients handed over, in order */
	size_t nrcpts;
	int body;		/* body decoder state; 0 before DATA */
	char err[LMTPD_ERR_MAX];
};

void lmtpd_init(struct lmtpd *d, struct transport *t, const char *name,
    int idle_timeout_ms, int timeout_ms, int trace);

/* The 220 greeting.  -1: d->err. */
int lmtpd_greet(struct lmtpd *d);

/* Answer commands until one is the caller's (MAIL, RCPT, DATA), a
 * transaction ends, QUIT or the end of the input.  may_wait 0: return
 * LMTPD_WAIT rather than wait for the client. */
enum lmtpd_event lmtpd_next(struct lmtpd *d, int may_wait);

/* The caller's reply to the oldest command it was handed.  -1: d->err. */
int lmtpd_answer(struct lmtpd *d, int code, const char *enh,
    const char *text);

/* The caller refused MAIL (after answering it): the transaction is
 * over, and what the client pipelined behind it gets 503. */
void lmtpd_mail_refused(struct lmtpd *d);

/* Queue one reply line: code, enhanced code, text (control bytes
 * replaced, cut to fit a reply line).  -1: d->err. */
int lmtpd_reply(struct lmtpd *d, int code, const char *enh, const char *text);

/* Send what is queued.  -1: d->err. */
int lmtpd_flush(struct lmtpd *d);

/* 354 to DATA (the caller's answer to it), sent at once.  -1: d->err. */
int lmtpd_data_start(struct lmtpd *d);

/* The body as the sender meant it: dot-stuffing undone, line ends as
 * they came.  Up to cap (at least 2) bytes into out; 0 once the final
 * dot has been read, -1 when the input failed (d->err). */
int lmtpd_body_read(struct lmtpd *d, char *out, size_t cap);

/* Forget the transaction (after its replies). */
void lmtpd_txn_end(struct lmtpd *d);

void lmtpd_free(struct lmtpd *d);

#endif
