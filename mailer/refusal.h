/* SPDX-License-Identifier: ISC */
/*
 * refusal.h - the notice at the moment of refusal.  When the server
 * refuses a recipient because the mailbox is over quota (452 4.2.2, or
 * 552 5.2.2 with Cyrus's lmtp_over_quota_perm_failure), the user is told
 * so by a notice stored past the quota: who sent the refused message, its
 * size and Subject, nothing from its body.  At most one notice per user
 * per refusal_notice_interval, across processes (a locked file per user
 * in refusal_notice_dir holds when the last one was stored).  The text
 * is notice.c's; this is the policy, the state files and the sending.
 */
#ifndef LMTPIQ_REFUSAL_H
#define LMTPIQ_REFUSAL_H

#include <stddef.h>

#include "config.h"
#include "lmtp.h"
#include "message.h"
#include "notice.h"
#include "session.h"

/* Notices for one process, owned by its mode (deliver.c, relay.c). */
struct refusal {
	const struct config *cfg;
	int off;		/* a set-up problem was logged once: this
				 * process sends no more notices */
};

void refusal_init(struct refusal *r, const struct config *cfg);

/* 1 when the feature is on and some recipient of this transaction was
 * refused for its quota, so that refusal_send has work to do. */
int refusal_due(const struct refusal *r, const char *sender,
    const struct lmtp_rcpt *rcpts, size_t n);

/* Once refusal_due said so: one notice for each user refused for quota
 * in rcpts, unless one was stored within the interval, through s
 * (opened if need be), with IGNOREQUOTA.  The refused message's Subject,
 * From and size come from what tee saw of it.  Nothing here changes a
 * recipient's outcome; every notice's fate gets one syslog line. */
void refusal_send(struct refusal *r, struct session *s, const char *sender,
    const struct message_tee *tee, const struct lmtp_rcpt *rcpts, size_t n);

/* For -n: whether notices are on and would work, in one line. */
void refusal_describe(const struct config *cfg, char *buf, size_t cap);

#endif
