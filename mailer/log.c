/* SPDX-License-Identifier: ISC */
/*
 * log.c - stderr and syslog.  Sendmail copies a mailer's stderr into the
 * bounce, so every line must stand alone and say who said what.
 */
#define _DEFAULT_SOURCE
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static int syslog_on;
static int trace_to_syslog;	/* stderr is not ours to write to */

void
log_init(int use_syslog)
{
	if (syslog_on && !use_syslog)
		closelog();
	else if (!syslog_on && use_syslog)
		openlog(LOG_PROGNAME, LOG_PID, LOG_MAIL);
	syslog_on = use_syslog;
}

static void
vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s%s\n", prefix, buf);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(LOG_PROGNAME ": ", fmt, ap);
	va_end(ap);
}

void
log_err_dsn(const char *dsn, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%.15s " LOG_PROGNAME ": ", dsn);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
}

static void
vfail(int priority, const char *dsn, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%.15s%s" LOG_PROGNAME ": %s\n", dsn, dsn[0] ? " " : "",
	    buf);
	if (syslog_on)
		syslog(priority, "%s", buf);
}

void
log_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(LOG_NOTICE, "", fmt, ap);
	va_end(ap);
}

void
log_fail_dsn(const char *dsn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(LOG_NOTICE, dsn, fmt, ap);
	va_end(ap);
}

void
log_setup_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(LOG_ERR, "", fmt, ap);
	va_end(ap);
}

void
log_trace(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!trace_to_syslog)
		vline("", fmt, ap);
	else if (syslog_on)
		vsyslog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_trace_syslog(void)
{
	trace_to_syslog = 1;
}

const char *
log_escape(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	for (; *p && o + 5 < cap; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	if (*p && o + 3 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void
log_mail(int priority, const char *fmt, ...)
{
	va_list ap;

	if (!syslog_on)
		return;
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}
