/* SPDX-License-Identifier: ISC */
/*
 * relay.c - LMTP mode: lmtpd.c's transactions delivered through one
 * kept upstream session.  MAIL and each RCPT are passed on as the client
 * sends them and answered with the server's own reply, so that a
 * recipient the server refuses is refused at RCPT (an address probe
 * learns the truth, and no body is sent for it).  A recipient is
 * answered 2xx after the dot only after the server answered it 2xx
 * after the dot; whatever else lmtp-iq cannot vouch for is a 4xx, so
 * the MTA keeps that recipient queued.
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

/* What the client was told of a recipient at RCPT. */
enum told {
	TOLD_NOTHING,		/* not answered yet */
	TOLD_REFUSED,		/* refused: no reply after the dot */
	TOLD_ACCEPTED,		/* the server accepted it: its reply after
				 * the dot is passed on */
	TOLD_HELD,		/* refused for its quota, but told 2xx: the
				 * refusal comes after the dot, once the
				 * message's Subject is known for the notice */
};

/* One transaction's state, shared with the callbacks session.c runs. */
struct body {
	struct lmtpd *d;
	struct session *s;
	struct refusal *r;
	struct lmtp_rcpt *rcpts;	/* every recipient the client gave */
	enum told *told;
	size_t nrcpts, cap;
	size_t replied;		/* recipients answered at RCPT */
	int mail_answered, mail_ok;
	int data_seen;		/* the client said DATA */
	int data_answered;
	int stop;		/* the client's transaction ended without DATA */
	enum lmtpd_event end;	/* LMTPD_END or _FAIL: the client ended the
				 * session inside the transaction */
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

	if (b->trail_read || !b->started)
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

/* DATA's 354 to the client: from here on the body is read. */
static int
data_start(struct body *b)
{
	b->data_answered = 1;
	b->started = 1;
	return lmtpd_data_start(b->d);
}

/* Client body -> upstream body: undo the client's dot-stuffing, then
 * encode afresh (the body loop argv mode uses), so what arrives is
 * stuffed exactly once and every line ends in CRLF whatever the client
 * sent. */
static enum lmtp_result
relay_body(void *ctx, struct transport *up)
{
	struct body *b = ctx;

	if (data_start(b) < 0)
		return LMTP_EINPUT;
	return message_stream(b->buf, message_tee_read, b->tee, up);
}

/* A reply to the client's command: the server's code, enhanced code
 * and words (without the codes its text starts with), or lmtp-iq's
 * words of why there is none.  The one for after the dot goes through
 * lmtpd_reply, the others through lmtpd_answer. */
static void
tell(struct body *b, const struct session_outcome *o, int after_dot)
{
	char words[LMTP_REPLY_TEXT_MAX + 16];
	const char *text = o->words;

	if (text == NULL) {
		snprintf(words, sizeof(words), "lmtp-iq: %s", o->text);
		text = words;
	}
	if ((after_dot ? lmtpd_reply(b->d, o->code, o->dsn, text) :
	    lmtpd_answer(b->d, o->code, o->dsn, text)) < 0)
		b->client_ok = 0;
}

/* The reply for a recipient (or MAIL, or DATA, when rc has no verdict
 * of its own: the session's failure). */
static void
tell_rcpt(struct body *b, const struct lmtp_rcpt *rc, int after_dot)
{
	struct session_outcome o;

	session_outcome(b->s, rc, &o);
	tell(b, &o, after_dot);
}

/* The server's reply r to MAIL or RCPT (step), passed on. */
static void
tell_reply(struct body *b, enum lmtp_step step, const struct lmtp_reply *r)
{
	struct lmtp_rcpt said = { .addr = "", .have_verdict = 1, .step = step,
		.reply = *r };

	tell_rcpt(b, &said, 0);
}

/* The session's failure, as a reply: no verdict came. */
static void
tell_failure(struct body *b)
{
	struct lmtp_rcpt none = { .addr = "" };

	tell_rcpt(b, &none, 0);
}

static void
tell_local(struct body *b, int code, const char *dsn, const char *text)
{
	if (lmtpd_answer(b->d, code, dsn, text) < 0)
		b->client_ok = 0;
}

/* MAIL was refused (by the server, or no session): what the client
 * pipelined behind it and was handed over gets 503, as lmtpd answers
 * the rest. */
static void
refuse_rest(struct body *b)
{
	for (; b->replied < b->nrcpts; b->replied++) {
		b->told[b->replied] = TOLD_REFUSED;
		tell_local(b, 503, "5.5.1", "no transaction: MAIL was refused");
	}
	if (b->data_seen && !b->data_answered) {
		b->data_answered = 1;
		tell_local(b, 503, "5.5.1", "no transaction: MAIL was refused");
	}
	lmtpd_mail_refused(b->d);
	b->stop = 1;
}

/* One recipient more from the client.  -1: out of memory. */
static int
add_rcpt(struct body *b, const char *addr)
{
	struct lmtp_rcpt *rcpts;
	enum told *told;
	size_t cap = b->cap ? 2 * b->cap : 8;
	char *copy;

	if (b->nrcpts == b->cap) {
		if ((rcpts = realloc(b->rcpts, cap * sizeof(*rcpts))) == NULL)
			return -1;
		b->rcpts = rcpts;
		if ((told = realloc(b->told, cap * sizeof(*told))) == NULL)
			return -1;
		b->told = told;
		b->cap = cap;
	}
	if ((copy = strdup(addr)) == NULL)
		return -1;
	b->rcpts[b->nrcpts] = (struct lmtp_rcpt){ .addr = copy };
	b->told[b->nrcpts++] = TOLD_NOTHING;
	return 0;
}

/* The client's next word in the envelope: a recipient (added to b),
 * DATA (data_seen), LMTPD_WAIT, or the transaction's end (stop; end
 * says when the session ends with it). */
static enum lmtpd_event
client_next(struct body *b, int may_wait)
{
	enum lmtpd_event ev = lmtpd_next(b->d, may_wait);

	switch (ev) {
	case LMTPD_RCPT:
		if (add_rcpt(b, b->d->rcpts[b->d->nrcpts - 1]) == 0)
			return ev;
		log_mail(LOG_ERR, "out of memory; the message stays queued");
		ev = LMTPD_FAIL;	/* its reply cannot be given */
		break;
	case LMTPD_DATA:
		b->data_seen = 1;
		return ev;
	case LMTPD_WAIT:
		return ev;
	case LMTPD_END:
	case LMTPD_FAIL:
		break;
	case LMTPD_MAIL:	/* not inside a transaction */
	case LMTPD_RESET:
		b->stop = 1;
		return LMTPD_RESET;
	}
	b->end = ev;
	b->stop = 1;
	return ev;
}

/* The client's next word, for lmtp.c (lmtp_txn.more). */
static enum lmtp_more
more(void *ctx, struct lmtp_txn *x, int may_wait)
{
	struct body *b = ctx;

	if (b->data_seen)
		return LMTP_MORE_DATA;
	if (b->stop)
		return LMTP_MORE_STOP;
	switch (client_next(b, may_wait)) {
	case LMTPD_RCPT:
		x->rcpts = b->rcpts;
		x->nrcpts = b->nrcpts;
		return LMTP_MORE_RCPT;
	case LMTPD_DATA:
		return LMTP_MORE_DATA;
	case LMTPD_WAIT:
		return LMTP_MORE_NONE;
	case LMTPD_MAIL:
	case LMTPD_RESET:
	case LMTPD_END:
	case LMTPD_FAIL:
		break;
	}
	return LMTP_MORE_STOP;
}

/* The server's reply to MAIL or to a RCPT, passed on (lmtp_txn.replied).
 * A recipient refused for its quota is told 2xx instead when a refusal
 * notice is due for it: the notice tells the user what was refused. */
static void
replied(void *ctx, enum lmtp_step step, size_t i, const struct lmtp_reply *r)
{
	struct body *b = ctx;
	struct lmtp_rcpt *rc;

	if (step == LMTP_STEP_MAIL) {
		b->mail_answered = 1;
		b->mail_ok = r->code / 100 == 2;
		tell_reply(b, step, r);
		if (!b->mail_ok)
			refuse_rest(b);
		return;
	}
	rc = &b->rcpts[i];
	b->replied = i + 1;
	if (rc->accepted) {
		b->told[i] = TOLD_ACCEPTED;
		tell_reply(b, step, r);
	} else if (refusal_due(b->r, b->d->sender, rc, 1)) {
		b->told[i] = TOLD_HELD;
		tell_local(b, 250, "2.1.5", "lmtp-iq: its verdict follows "
		    "the message");
	} else {
		b->told[i] = TOLD_REFUSED;
		tell_rcpt(b, rc, 0);
	}
}

/* The next recipient the client waits for after the dot. */
static void
answer_next(struct body *b)
{
	size_t i = b->answered++;

	if (b->told[i] == TOLD_ACCEPTED || b->told[i] == TOLD_HELD)
		tell_rcpt(b, &b->rcpts[i], 1);
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

/* The session failed before the client's envelope was complete: every
 * recipient still unanswered, and any the client still gives, gets the
 * failure, until DATA or the transaction's end. */
static void
finish_envelope(struct body *b)
{
	for (; b->replied < b->nrcpts; b->replied++) {
		b->told[b->replied] = TOLD_REFUSED;
		tell_rcpt(b, &b->rcpts[b->replied], 0);
	}
	while (!b->data_seen && !b->stop && b->client_ok)
		if (client_next(b, 1) == LMTPD_RCPT) {
			b->told[b->replied++] = TOLD_REFUSED;
			tell_failure(b);
		}
}

/* DATA when the server was not asked for it, or refused it: with no
 * recipient told 2xx, 503; with some accepted by the server, the reason
 * it did not take the message; with only held ones, the body is read
 * here (their refusals follow the dot).  1 when the body is to be read. */
static int
answer_data(struct body *b)
{
	size_t i, promised = 0;

	for (i = 0; i < b->nrcpts; i++) {
		if (b->told[i] == TOLD_ACCEPTED) {
			b->data_answered = 1;
			tell_rcpt(b, &b->rcpts[i], 0);
			return 0;
		}
		promised += b->told[i] == TOLD_HELD;
	}
	if (promised == 0) {
		b->data_answered = 1;
		tell_local(b, 503, "5.5.1", "no valid recipients");
		return 0;
	}
	if (data_start(b) < 0)
		b->client_ok = 0;
	return b->client_ok;
}

/* One transaction, from the client's MAIL: LMTPD_WAIT when the session
 * goes on, LMTPD_END or LMTPD_FAIL when it ends. */
static enum lmtpd_event
transaction(struct session *s, struct lmtpd *d, struct message_buf *buf,
    struct message_tee *tee, struct refusal *r)
{
	struct body b = { .d = d, .s = s, .r = r, .buf = buf, .tee = tee,
		.client_ok = 1, .end = LMTPD_WAIT };
	struct lmtp_txn x;
	size_t i;
	enum lmtp_result rc;

	b.trail = (struct session_trail){ .sender = d->sender, .size = d->size,
		.start_ms = transport_now_ms() };
	message_tee_init(tee, client_read, d);
	x = (struct lmtp_txn){ .sender = d->sender, .size = d->size,
		.body = relay_body, .body_ctx = &b, .verdict = verdict_in,
		.more = more, .replied = replied };
	rc = session_deliver(s, &x);
	if (rc == LMTP_EINPUT) {
		b.end = LMTPD_FAIL;	/* the client is gone: relay_serve says so */
		goto out;
	}
	if (!b.mail_answered) {
		/* No session, or it failed before MAIL's reply. */
		b.mail_answered = 1;
		tell_failure(&b);
		refuse_rest(&b);
	} else if (b.mail_ok && !b.started) {
		finish_envelope(&b);
	}
	if (b.data_seen && !b.data_answered && !answer_data(&b))
		goto report;
	if (!b.started)
		goto report;
	/* The rest of the body, when the upstream side gave up on it. */
	if (message_tee_drain(tee) < 0) {
		b.end = LMTPD_FAIL;
		goto out;
	}
	while (b.answered < b.nrcpts)
		answer_next(&b);
report:
	for (i = 0; i < b.nrcpts; i++)
		session_report(s, &b.rcpts[i], trail_of(&b));
	if (d->owed != 0 && b.end == LMTPD_WAIT) {
		/* Never answer the client out of step. */
		snprintf(d->err, sizeof(d->err), "%zu replies to the client "
		    "were still due at the end of a transaction", d->owed);
		b.end = LMTPD_FAIL;
	}
	if (!b.client_ok || (b.end == LMTPD_WAIT && lmtpd_flush(d) < 0))
		b.end = LMTPD_FAIL;
	/* The replies are out: a notice now delays none of them. */
	if (b.end != LMTPD_FAIL && b.started && b.tee->ended &&
	    refusal_due(r, d->sender, b.rcpts, b.nrcpts))
		refusal_send(r, s, d->sender, tee, b.rcpts,
		    b.nrcpts);
out:
	for (i = 0; i < b.nrcpts; i++)
		free((char *)b.rcpts[i].addr);
	free(b.rcpts);
	free(b.told);
	return b.end;
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
		do {
			ev = lmtpd_next(&d, 1);
			if (ev == LMTPD_MAIL &&
			    (ev = transaction(&s, &d, buf, tee, &r)) == LMTPD_WAIT)
				lmtpd_txn_end(&d);
		} while (ev == LMTPD_WAIT || ev == LMTPD_RESET);
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
