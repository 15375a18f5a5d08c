/* SPDX-License-Identifier: ISC */
/*
 * lmtpd.h - the server side of LMTP (RFC 2033) for -l: commands come on
 * one transport (stdin from Sendmail), replies go back on it, one
 * transaction's envelope at a time.  It knows nothing of where the mail
 * goes: at DATA it hands the envelope to its caller, which answers DATA,
 * reads the body through lmtpd_body_read and gives one reply per
 * recipient.
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
	LMTPD_DATA,		/* DATA with recipients: the caller's turn */
	LMTPD_END,		/* QUIT, or end of input between transactions */
	LMTPD_FAIL,		/* input lost, timeout, too many errors: d->err */
};

struct lmtpd {
	struct transport *t;
	int trace;		/* <-- / --> lines through log_trace */
	int idle_timeout_ms;	/* waiting for a command */
	int timeout_ms;		/* waiting for more of the body */
	char name[256];		/* ours, in the greeting and LHLO reply */
	int greeted;		/* LHLO seen */
	int in_mail;		/* MAIL accepted: a transaction is open */
	int errors;
	char sender[ADDRESS_MAX + 1];	/* "" for the null sender */
	long long size;		/* MAIL's SIZE=, or -1 */
	char **rcpts;		/* accepted recipients, in order */
	size_t nrcpts;
	int body;		/* body decoder state; 0 before DATA */
	char err[LMTPD_ERR_MAX];
};

void lmtpd_init(struct lmtpd *d, struct transport *t, const char *name,
    int idle_timeout_ms, int timeout_ms, int trace);

/* The 220 greeting.  -1: d->err. */
int lmtpd_greet(struct lmtpd *d);

/* Answer commands until DATA with at least one recipient, QUIT or the
 * end of the input. */
enum lmtpd_event lmtpd_next(struct lmtpd *d);

/* Queue one reply line: code, enhanced code, text (control bytes
 * replaced, cut to fit a reply line).  -1: d->err. */
int lmtpd_reply(struct lmtpd *d, int code, const char *enh, const char *text);

/* Send what is queued.  -1: d->err. */
int lmtpd_flush(struct lmtpd *d);

/* 354 to DATA, sent at once.  -1: d->err. */
int lmtpd_data_start(struct lmtpd *d);

/* The body as the sender meant it: dot-stuffing undone, line ends as
 * they came.  Up to cap (at least 2) bytes into out; 0 once the final
 * dot has been read, -1 when the input failed (d->err). */
int lmtpd_body_read(struct lmtpd *d, char *out, size_t cap);

/* Forget the transaction (after its replies). */
void lmtpd_txn_end(struct lmtpd *d);

void lmtpd_free(struct lmtpd *d);

#endif
