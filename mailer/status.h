/* SPDX-License-Identifier: ISC */
/*
 * status.h - the one place where LMTP replies become sysexits(3) codes.
 */
#ifndef LMTPIQ_STATUS_H
#define LMTPIQ_STATUS_H

#include <stddef.h>

#include "lmtp.h"

/* The exit status for one recipient.  No verdict is EX_TEMPFAIL. */
int status_for_rcpt(const struct lmtp_rcpt *rc);

/* Several recipients: 0 if all were delivered, else EX_TEMPFAIL if any
 * failed temporarily (nothing is lost), else the first failure's code. */
int status_combine(const struct lmtp_rcpt *rcpts, size_t n);

/* The recipient whose outcome status_combine gives, or -1 for EX_OK. */
int status_deciding(const struct lmtp_rcpt *rcpts, size_t n);

/* The DSN code for a server's reply: its enhanced code, else the one of
 * its class ("5.0.0", RFC 3463 3.1).  Into buf (at least 16 bytes). */
void status_reply_dsn(const struct lmtp_reply *r, char *buf, size_t cap);

/* The DSN code for a failure without a server reply (RFC 3463 4.x.x). */
const char *status_fault_dsn(enum lmtp_fault fault);

/* "Sent", "Deferred" or "Bounced", for logs. */
const char *status_word(int code);

#endif
