/* SPDX-License-Identifier: ISC */
/*
 * log.h - the program's voice: one-line errors on stderr, the -v protocol
 * trace, and LOG_MAIL lines for the postmaster.
 */
#ifndef LMTPIQ_LOG_H
#define LMTPIQ_LOG_H

#include <stddef.h>

#define LOG_PROGNAME "lmtp-iq"

void log_init(int use_syslog);

/* "lmtp-iq: <text>" on stderr. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "D.S.N lmtp-iq: <text>" on stderr: a failure's RFC 3463 status first.
 * Postfix's pipe(8) takes a leading status as the verdict (its class
 * decides defer or bounce), so it must agree with the exit status:
 * 4.x.x with EX_TEMPFAIL, 5.x.x with the others. */
void log_err_dsn(const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A failure that ends the run before any recipient's verdict (usage,
 * config, envelope, input): the stderr line, and the same as one
 * LOG_MAIL line when syslog is on. */
void log_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same with its status first on stderr (log_err_dsn), where the
 * exit status alone would tell Postfix other than Sendmail. */
void log_fail_dsn(const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same for a failure of the set-up (the config, the mailer's
 * command line) that holds back every message until it is fixed: at
 * LOG_ERR, where a site watching mail.err sees it. */
void log_setup_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A protocol line on stderr; callers check the trace flag themselves. */
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* From now on the trace goes to syslog (LOG_DEBUG), when it is on:
 * stderr is the LMTP stream itself. */
void log_trace_syslog(void);

/* in as one printable line for stderr and syslog: bytes outside
 * printable ASCII, and the backslash, as \xNN; cut with "..." to fit
 * cap.  Returns out.  For anything from the command line or a peer. */
const char *log_escape(const char *in, char *out, size_t cap);

/* One LOG_MAIL line when syslog is enabled. */
void log_mail(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
