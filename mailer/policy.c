/* SPDX-License-Identifier: ISC */
/*
 * policy.c - the IGNOREQUOTA decision.  Only notices may pass the quota:
 * the policy says what the server must offer, and notice_senders says
 * whose mail is a notice at all.  Mail from anyone else, which
 * can reach the notice domain through an alias, a .forward file or a
 * Sieve redirect, is delivered as ordinary mail and meets the quota.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "words.h"

int
policy_notice_sender(const struct config *cfg, const char *sender)
{
	const char *want = sender[0] ? sender : "<>";

	return cfg->notice_senders_set &&
	    words_has(cfg->notice_senders, want, strlen(want));
}

void
policy_server(enum iq_policy policy, int offered, struct policy_verdict *v)
{
	v->param = NULL;
	v->refuse = 0;
	v->why[0] = '\0';
	if (policy == IQ_OFF)
		snprintf(v->why, sizeof(v->why), "policy off");
	else if (policy == IQ_FORCE || offered)
		v->param = "IGNOREQUOTA";
	else {
		snprintf(v->why, sizeof(v->why), "not advertised by the server");
		v->refuse = policy == IQ_REQUIRE;
	}
}

void
policy_decide(const struct config *cfg, const char *sender, int offered,
    struct policy_verdict *v)
{
	if (policy_notice_sender(cfg, sender)) {
		policy_server(cfg->policy, offered, v);
		return;
	}
	/* Ordinary mail: whether the server offers IGNOREQUOTA is moot. */
	v->param = NULL;
	v->refuse = 0;
	snprintf(v->why, sizeof(v->why), "sender <%s> is not in notice_senders",
	    sender);
}

const char *
policy_config_problem(const struct config *cfg)
{
	/* Safe by default: with no list, or with the null sender on it
	 * (anyone may send a bounce, and forward one on), IGNOREQUOTA would
	 * go to mail from anybody that reaches lmtp-iq, whichever way it
	 * came (an alias, a .forward, lmtp-iq as the local mailer). */
	if (cfg->policy == IQ_OFF)
		return NULL;
	if (!cfg->notice_senders_set)
		return "notice_senders is not set: lmtp-iq delivers nothing "
		    "until it names the notice senders (or ignorequota = off), "
		    "since every sender's mail would pass the quota";
	if (policy_notice_sender(cfg, ""))
		return "notice_senders lists <>: any bounce, from anywhere, "
		    "would pass the quota; name the notice senders only";
	return NULL;
}
