/* SPDX-License-Identifier: ISC */
/*
 * status.c - reply to exit status.  This follows Sendmail's own mapping
 * of DSN codes to exit values (dsntoexitstat in its sysexits.c), except
 * that a permanent 5xx never turns into a transient code: a reply the
 * server meant as final must not keep a message queued for days.
 */
#include "status.h"

#include <stdio.h>
#include <sysexits.h>

/* Permanent enhanced codes (RFC 3463), first match wins; detail -1 = any. */
static const struct {
	int subject, detail, exit;
} permanent[] = {
	{ 1, 1, EX_NOUSER },		/* bad destination mailbox */
	{ 1, 6, EX_NOUSER },		/* mailbox has moved */
	{ 1, 2, EX_NOHOST },		/* bad destination system */
	{ 1, 8, EX_NOHOST },		/* bad sender's system address */
	{ 1, -1, EX_DATAERR },		/* other addressing status */
	{ 5, -1, EX_PROTOCOL },		/* protocol status */
	{ 7, -1, EX_NOPERM },		/* security or policy status */
};

static int
permanent_status(const struct lmtp_rcpt *rc)
{
	int subject, detail;
	size_t i;

	if (sscanf(rc->reply.enh, "%*d.%d.%d", &subject, &detail) != 2) {
		/* Without RFC 3463 codes these RCPT replies mean "no such
		 * user" (RFC 5321 3.4, 4.2.2). */
		if (rc->step == LMTP_STEP_RCPT && (rc->reply.code == 550 ||
		    rc->reply.code == 551 || rc->reply.code == 553))
			return EX_NOUSER;
		return EX_UNAVAILABLE;
	}
	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (permanent[i].subject == subject &&
		    (permanent[i].detail < 0 || permanent[i].detail == detail))
			return permanent[i].exit;
	return EX_UNAVAILABLE;
}

int
status_for_rcpt(const struct lmtp_rcpt *rc)
{
	if (!rc->have_verdict)
		return EX_TEMPFAIL;
	switch (rc->reply.code / 100) {
	case 2:
		return EX_OK;
	case 5:
		return permanent_status(rc);
	default:
		return EX_TEMPFAIL;	/* 4xx, 421 included */
	}
}

int
status_deciding(const struct lmtp_rcpt *rcpts, size_t n)
{
	int first = -1, s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = status_for_rcpt(&rcpts[i]);
		if (s == EX_TEMPFAIL)
			return (int)i;
		if (first < 0 && s != EX_OK)
			first = (int)i;
	}
	return first;
}

int
status_combine(const struct lmtp_rcpt *rcpts, size_t n)
{
	int i = status_deciding(rcpts, n);

	return i < 0 ? EX_OK : status_for_rcpt(&rcpts[i]);
}

const char *
status_word(int code)
{
	return code == EX_OK ? "Sent" : code == EX_TEMPFAIL ? "Deferred" :
	    "Bounced";
}

/* RFC 3463 codes for failures without a server reply.  All transient:
 * no verdict means the message stays queued. */
static const struct {
	enum lmtp_fault fault;
	const char *dsn;
} fault_dsn[] = {
	{ LF_CONNECT, "4.4.1" },	/* no answer from host */
	{ LF_TIMEOUT, "4.4.2" },	/* bad connection */
	{ LF_LOST, "4.4.2" },		/* bad connection */
	{ LF_DEADLINE, "4.4.7" },	/* delivery time expired */
	{ LF_PROTOCOL, "4.5.0" },	/* other protocol status */
	{ LF_REFUSED, "4.4.0" },	/* other network or routing status */
	{ LF_AUTH, "4.7.0" },		/* other security status */
	{ LF_POLICY, "4.3.5" },		/* system incorrectly configured */
	{ LF_TLS, "4.7.5" },		/* cryptographic failure */
};

void
status_reply_dsn(const struct lmtp_reply *r, char *buf, size_t cap)
{
	if (r->enh[0])
		snprintf(buf, cap, "%s", r->enh);
	else
		snprintf(buf, cap, "%d.0.0", r->code / 100);
}

const char *
status_fault_dsn(enum lmtp_fault fault)
{
	size_t i;

	for (i = 0; i < sizeof(fault_dsn) / sizeof(fault_dsn[0]); i++)
		if (fault_dsn[i].fault == fault)
			return fault_dsn[i].dsn;
	return "4.0.0";
}
