/* SPDX-License-Identifier: ISC */
/*
 * policy.h - whether a delivery carries IGNOREQUOTA: the ignorequota
 * policy, what the server advertises, and who the sender is.
 */
#ifndef LMTPIQ_POLICY_H
#define LMTPIQ_POLICY_H

#include <stddef.h>

#include "config.h"

#define POLICY_WHY_MAX 320

struct policy_verdict {
	const char *param;	/* "IGNOREQUOTA" for each RCPT, or NULL */
	int refuse;		/* 1: deliver nothing (require, not offered) */
	char why[POLICY_WHY_MAX];	/* when param is NULL: the reason */
};

/* Decide for one transaction.  sender is "" for the null sender;
 * offered says whether the server advertised IGNOREQUOTA. */
void policy_decide(const struct config *cfg, const char *sender, int offered,
    struct policy_verdict *v);

/* The policy alone, for a notice: what -n reports. */
void policy_server(enum iq_policy policy, int offered,
    struct policy_verdict *v);

/* 1 when sender may send notices: notice_senders lists it ("<>" stands
 * for the null sender).  Case is ignored, as Sendmail's class lookups
 * do.  Without a list nobody may. */
int policy_notice_sender(const struct config *cfg, const char *sender);

/* NULL when the configuration keeps IGNOREQUOTA to the listed notice
 * senders, else why it does not: every mode refuses to deliver then
 * (unless ignorequota = off, which sends IGNOREQUOTA to nobody). */
const char *policy_config_problem(const struct config *cfg);

#endif
