/* SPDX-License-Identifier: ISC */
/*
 * relay.c - LMTP mode: lmtpd.c's transactions delivered through one
 * kept upstream session.  A recipient is answered 2xx only after the
 * server answered it 2xx after the final dot; whatever else lmtp-iq
 * cannot vouch for is a 4xx, so Sendmail keeps that recipient queued.
 */
#define _POSIX_C_SOURCE 200809L
#include "relay.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "address.h"
#include "lmtpd.h"
#include "log.h"
#include "message.h"
#include "refusal.h"
#include "session.h"

/* One transaction's state, shared with the callbacks session.c runs. */
struct body {
	struct lmtpd *d;
	struct session *s;
	struct lmtp_rcpt *rcpts;
	size_t nrcpts;
	struct message_buf *buf;	/* relay_serve's, for every body */
	struct message_tee *tee;	/* the body's head and size */
	int started;		/* 354 sent to the client */
	size_t answered;	/* recipients answered after the dot */
	int client_ok;		/* 0 once a reply could not be written */
	struct session_trail trail;	/* what names the message on the log */
	int trail_read;		/* trail filled in from the head */
};

/* The message's names for the log, from what the tee saw of it: its
 * Message-ID, its size, and the MTA's queue id from its topmost
 * Received: line (Sendmail's "id $i", Postfix's "id QUEUEID"): no MTA
 * says its own id in LMTP before the message, so no TRACE goes
 * upstream in this mode. */
static const struct session_trail *
trail_of(struct body *b)
{
	struct session_trail *t = &b->trail;
	char id[SESSION_QID_MAX];

	if (b->trail_read)
		return t;
	b->trail_read = 1;
	message_tee_msgid(b->tee, t->msgid, sizeof(t->msgid));
	message_tee_received_id(b->tee, id, sizeof(id));
	if (address_queue_id_ok(id))
		memcpy(t->qid, id, strlen(id) + 1);
	if (b->tee->ended)
		t->size = b->tee->size;
	return t;
}

/* The client's body with its dot-stuffing undone. */
static int
client_read(void *ctx, unsigned char *buf, size_t cap)
{
	return lmtpd_body_read(ctx, (char *)buf, cap);
}

/* Client body -> upstream body: undo the client's dot-stuffing, then
 * encode afresh (the body loop argv mode uses), so what arrives is
 * stuffed exactly once and every line ends in CRLF whatever the client
 * sent. */
static enum lmtp_result
relay_body(void *ctx, struct transport *up)
{
	struct body *b = ctx;

	if (lmtpd_data_start(b->d) < 0)
		return LMTP_EINPUT;
	b->started = 1;
	return message_stream(b->buf, message_tee_read, b->tee, up);
}

/* An outcome as a reply to the client: the server's code, enhanced code
 * and words, without the code and enhanced code its text starts with. */
static int
answer(struct lmtpd *d, const struct session_outcome *o)
{
	char words[LMTP_REPLY_TEXT_MAX + 16];

	if (o->words != NULL)
		return lmtpd_reply(d, o->code, o->dsn, o->words);
	snprintf(words, sizeof(words), "lmtp-iq: %s", o->text);
	return lmtpd_reply(d, o->code, o->dsn, words);
}

/* The next recipient's reply after the dot, and its log line. */
static void
answer_next(struct body *b)
{
	struct session_outcome o;
	struct lmtp_rcpt *rc = &b->rcpts[b->answered++];

	session_outcome(b->s, rc, &o);
	if (b->client_ok && answer(b->d, &o) < 0)
		b->client_ok = 0;
	session_report(b->s, rc, trail_of(b), 0);
}

/* Recipient i has its verdict: answer it, and those before it, now.
 * Sendmail then records each one while the server works on the next,
 * instead of after the last. */
static void
verdict_in(void *ctx, size_t i)
{
	struct body *b = ctx;

	while (b->answered <= i)
		answer_next(b);
	if (b->client_ok && lmtpd_flush(b->d) < 0)
		b->client_ok = 0;
}

/* One transaction.  -1 when the client is gone or out of step. */
static int
transaction(struct session *s, struct lmtpd *d, struct message_buf *buf,
    struct message_tee *tee, struct refusal *r)
{
	struct lmtp_rcpt *rcpts;
	struct body b = { .d = d, .s = s, .buf = buf, .tee = tee,
		.client_ok = 1 };
	struct session_outcome o;
	struct lmtp_txn x;
	size_t i, known = 0;
	enum lmtp_result rc;
	int ok = 0;

	if (lmtpd_flush(d) < 0)
		return -1;
	rcpts = calloc(d->nrcpts, sizeof(*rcpts));
	if (rcpts == NULL) {
		log_mail(LOG_ERR, "out of memory; the message stays queued");
		(void)lmtpd_reply(d, 451, "4.3.0", "lmtp-iq: out of memory");
		return 0;
	}
	for (i = 0; i < d->nrcpts; i++)
		rcpts[i].addr = d->rcpts[i];
	b.rcpts = rcpts;
	b.nrcpts = d->nrcpts;
	b.trail = (struct session_trail){ .sender = d->sender, .size = d->size,
		.start_ms = transport_now_ms() };
	message_tee_init(tee, client_read, d);
	x = (struct lmtp_txn){ .sender = d->sender, .size = d->size,
		.rcpts = rcpts, .nrcpts = d->nrcpts, .body = relay_body,
		.body_ctx = &b, .verdict = verdict_in };
	rc = session_deliver(s, &x);
	if (rc == LMTP_EINPUT)
		goto out;	/* the client is gone: relay_serve says so */
	for (i = 0; i < d->nrcpts; i++)
		known += rcpts[i].have_verdict;
	if (!b.started && known == 0) {
		/* Nothing reached a recipient: refuse DATA, no body comes. */
		session_outcome(s, &rcpts[0], &o);
		ok = answer(d, &o) == 0;
		for (i = 0; i < d->nrcpts; i++)
			session_report(s, &rcpts[i], trail_of(&b), 0);
		goto out;
	}
	/* The rest of the body, when the upstream side gave up on it. */
	if ((!b.started && lmtpd_data_start(d) < 0) ||
	    message_tee_drain(tee) < 0)
		goto out;
	while (b.answered < b.nrcpts)
		answer_next(&b);
	ok = b.client_ok && lmtpd_flush(d) == 0;
	/* The replies are out: a notice now delays none of them. */
	if (ok && refusal_due(r, d->sender, rcpts, d->nrcpts))
		refusal_send(r, s, d->sender, tee, rcpts, d->nrcpts);
out:
	free(rcpts);
	return ok ? 0 : -1;
}

/* Sendmail gives a mailer's stderr the same pipe as its stdout: in LMTP
 * mode a line there would land in the middle of the dialogue.  Then
 * stderr goes to /dev/null and the -v trace to syslog.  0 or -1. */
static int
quiet_stderr(void)
{
	struct stat out, err;
	int fd;

	if (fstat(STDOUT_FILENO, &out) < 0 || fstat(STDERR_FILENO, &err) < 0)
		return -1;
	if (out.st_dev != err.st_dev || out.st_ino != err.st_ino ||
	    isatty(STDERR_FILENO))
		return 0;	/* a person at a terminal reads both */
	if ((fd = open("/dev/null", O_WRONLY)) < 0)
		return -1;
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	log_trace_syslog();
	return 0;
}

/* Sendmail on stdin and stdout, as the client of d. */
static void
client_init(const struct config *cfg, struct transport *client,
    struct lmtpd *d, int verbose)
{
	char name[256];

	session_local_name(cfg, name, sizeof(name));
	transport_attach(client, STDIN_FILENO, STDOUT_FILENO, "the client",
	    cfg->timeout * 1000);
	lmtpd_init(d, client, name, cfg->idle_timeout * 1000,
	    cfg->timeout * 1000, verbose);
}

int
relay_refuse(const struct config *cfg, const char *why)
{
	struct transport client;
	struct lmtpd d;

	if (quiet_stderr() < 0)
		return EX_TEMPFAIL;
	client_init(cfg, &client, &d, 0);
	/* RFC 5321 3.8: a server that cannot serve says 421 at once. */
	if (lmtpd_reply(&d, 421, "4.3.5", why) == 0)
		(void)lmtpd_flush(&d);
	lmtpd_free(&d);
	return EX_TEMPFAIL;
}

int
relay_serve(const struct config *cfg, int verbose)
{
	struct transport client;
	struct session s;
	struct lmtpd d;
	enum lmtpd_event ev = LMTPD_FAIL;
	struct message_buf *buf;
	struct message_tee *tee;
	struct refusal r;

	if (quiet_stderr() < 0) {
		log_mail(LOG_ERR, "LMTP mode: cannot move stderr off the LMTP "
		    "stream; nothing served");
		return EX_TEMPFAIL;
	}
	/* One set of body buffers for the whole session. */
	buf = malloc(sizeof(*buf));
	tee = malloc(sizeof(*tee));
	if (buf == NULL || tee == NULL) {
		free(buf);
		free(tee);
		log_fail("LMTP mode: out of memory; nothing served");
		return EX_TEMPFAIL;
	}
	client_init(cfg, &client, &d, verbose);
	session_init(&s, cfg, verbose, 1);
	refusal_init(&r, cfg);
	if (lmtpd_greet(&d) == 0) {
		while ((ev = lmtpd_next(&d)) == LMTPD_DATA) {
			if (transaction(&s, &d, buf, tee, &r) < 0) {
				ev = LMTPD_FAIL;
				break;
			}
			lmtpd_txn_end(&d);
		}
		if (ev == LMTPD_END && lmtpd_flush(&d) < 0)
			ev = LMTPD_FAIL;
	}
	session_close(&s);
	if (ev != LMTPD_END)
		log_fail("LMTP mode: %s; what was not answered stays queued",
		    d.err);
	lmtpd_free(&d);
	free(buf);
	free(tee);
	return ev == LMTPD_END ? EX_OK : EX_TEMPFAIL;
}
