/* SPDX-License-Identifier: ISC */
/*
 * log.c - stderr and syslog.  Sendmail copies a mailer's stderr into the
 * bounce, so every line must stand alone and say who said what.
 */
#define _DEFAULT_SOURCE
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
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
log_fail(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, LOG_PROGNAME ": %s\n", buf);
	if (syslog_on)
		syslog(LOG_NOTICE, "%s", buf);
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
