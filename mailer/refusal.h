/* SPDX-License-Identifier: ISC */
/*
 * refusal.h - the notice at the moment of refusal.  When the server
 * refuses a recipient because the mailbox is over quota (452 4.2.2, or
 * 552 5.2.2 with Cyrus's lmtp_over_quota_perm_failure), the user is told
 * so by a notice stored past the quota: who sent the refused message, its
 * size and Subject, nothing from its body.  At most one notice per user
 * per refusal_notice_interval, across processes (a locked file per user
 * in refusal_notice_dir holds when the last one was stored).
 */
#ifndef LMTPIQ_REFUSAL_H
#define LMTPIQ_REFUSAL_H

#include <stddef.h>

#include "config.h"
#include "lmtp.h"
#include "message.h"
#include "session.h"

/* The start of the refused message's header: where its Subject is. */
#define REFUSAL_HEAD_MAX 16384

/* The refused message as it passes by: its first bytes and its size.
 * Fill inner and inner_ctx, then read through refusal_capture_read. */
struct refusal_capture {
	message_reader inner;
	void *inner_ctx;
	char head[REFUSAL_HEAD_MAX];
	size_t headlen;
	long long size;		/* bytes read so far */
	int ended;		/* the reader said 0: size is the whole */
};

void refusal_capture_init(struct refusal_capture *c, message_reader inner,
    void *inner_ctx);

/* A message_reader: inner's bytes, noted on the way. */
int refusal_capture_read(void *ctx, unsigned char *buf, size_t cap);

/* Read the rest of the message through the capture (the body was not
 * sent, or not to its end).  0, or -1 when the reader failed. */
int refusal_capture_finish(struct refusal_capture *c);

/* 1 when the feature is on and some recipient of this transaction was
 * refused for its quota, so that refusal_send has work to do. */
int refusal_due(const struct config *cfg, const char *sender,
    const struct lmtp_rcpt *rcpts, size_t n);

/* One notice for each user refused for quota in rcpts, unless one was
 * stored within the interval: through s (opened if need be), with
 * IGNOREQUOTA.  Nothing here changes a recipient's outcome; every
 * notice's fate gets one syslog line. */
void refusal_send(struct session *s, const struct config *cfg,
    const char *sender, struct refusal_capture *cap,
    const struct lmtp_rcpt *rcpts, size_t n);

/* The pieces, for tests and fuzzing. */

/* What a notice may say: the refused message's envelope sender, size
 * and Subject, the user, and the server's reply; nothing from the
 * body.  Every value is escaped (log_escape): no control byte. */
#define REFUSAL_SHOWN_MAX 1232
struct refusal_facts {
	const char *user;
	char sender[REFUSAL_SHOWN_MAX];
	char from[REFUSAL_SHOWN_MAX];	/* its From:, as its reader sees it */
	char size[32];		/* as a person reads it: "2.3 MB" */
	char bytes[32];		/* the byte count: "2345678" */
	char subject[REFUSAL_SHOWN_MAX];
	char reply[REFUSAL_SHOWN_MAX];
};

/* n bytes as a person reads them: "1 byte", "999 bytes", then "1.0 kB",
 * "2.3 MB", "1.0 GB" (powers of 1000, one decimal, rounded). */
void refusal_size_text(long long n, char *out, size_t cap);

/* The Subject in the first len bytes of a message as its reader sees it:
 * unfolded, RFC 2047 words decoded, UTF-8, what cannot be shown safely
 * escaped, cut at 200 characters (mimeword.h); "(none)" without one. */
void refusal_subject(const char *head, size_t len, char *out, size_t cap);

/* The From: the same way, its display name out of its quotes; the
 * envelope sender (already shown safely) when there is none. */
void refusal_from(const char *head, size_t len, const char *sender,
    char *out, size_t cap);

/* A template: header lines with a Subject, an empty line, a body.  NULL,
 * or what is wrong with it. */
const char *refusal_template_problem(const char *t, size_t len);

/* The template into out with %{user}, %{sender}, %{size}, %{bytes},
 * %{subject} and
 * %{reply} filled in (other %{...} stay as they are).  -1 when it does
 * not fit in cap. */
int refusal_render(const char *t, size_t len, const struct refusal_facts *f,
    char *out, size_t cap, size_t *outlen);

/* For -n: whether notices are on and would work, in one line. */
void refusal_describe(const struct config *cfg, char *buf, size_t cap);

#endif
