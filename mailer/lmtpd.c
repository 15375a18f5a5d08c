/* SPDX-License-Identifier: ISC */
/*
 * lmtpd.c - the LMTP server side for -l.  Sendmail (F=z) is the client:
 * LHLO, then transactions of MAIL, RCPT..., DATA, answered by whoever
 * relays the message (MAIL, each RCPT, DATA, and each recipient after
 * the final dot).  Replies are queued and sent when the client waits
 * for them, so a pipelined group (RFC 2920) is answered in one write and
 * in order.
 */
#define _POSIX_C_SOURCE 200809L
#include "lmtpd.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "log.h"
#include "words.h"

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with CRLF. */
#define LMTPD_REPLY_LINE_MAX 510

/* Where the body decoder stands (RFC 5321 4.5.2 from the receiving end). */
enum {
	BODY_NONE,		/* not in DATA */
	BODY_BOL,		/* at the start of a line: after CRLF */
	BODY_MID,		/* inside a line */
	BODY_CR,		/* inside a line, after a CR */
	BODY_DOT,		/* a line started with '.' */
	BODY_DOTCR,		/* ... and a CR followed */
	BODY_DONE,		/* the final dot was read */
};

/* What a command handler tells lmtpd_next: read the next command, the
 * caller's turn (MAIL, RCPT, DATA: it answers), the open transaction
 * ended, the client said QUIT, or the reply could not be written. */
enum cmd_result {
	CMD_MORE, CMD_MAIL, CMD_RCPT, CMD_DATA, CMD_RESET, CMD_QUIT, CMD_FAIL
};

static int
fail(struct lmtpd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct lmtpd *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

void
lmtpd_init(struct lmtpd *d, struct transport *t, const char *name,
    int idle_timeout_ms, int timeout_ms, int trace)
{
	memset(d, 0, sizeof(*d));
	d->t = t;
	d->trace = trace;
	d->idle_timeout_ms = idle_timeout_ms;
	d->timeout_ms = timeout_ms;
	d->size = -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
}

static int
put_line(struct lmtpd *d, char *line, size_t n)
{
	if (d->trace)
		log_trace("--> %.*s", (int)n, line);
	line[n++] = '\r';
	line[n++] = '\n';
	if (d->holding) {
		/* Behind the caller's replies; a held reply always fits. */
		if (n > sizeof(d->held) - d->heldlen)
			return fail(d, "a reply does not fit behind the ones "
			    "still due");
		memcpy(d->held + d->heldlen, line, n);
		d->heldlen += n;
		return 0;
	}
	if (transport_write(d->t, line, n) < 0)
		return fail(d, "%s", d->t->err);
	return 0;
}

int
lmtpd_reply(struct lmtpd *d, int code, const char *enh, const char *text)
{
	char line[LMTPD_REPLY_LINE_MAX + 3];
	int n;
	size_t i;

	n = snprintf(line, LMTPD_REPLY_LINE_MAX + 1, "%03d %s%s%s", code, enh,
	    enh[0] ? " " : "", text);
	if (n < 0)
		n = 0;
	if (n > LMTPD_REPLY_LINE_MAX)
		n = LMTPD_REPLY_LINE_MAX;
	for (i = 4; i < (size_t)n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	return put_line(d, line, (size_t)n);
}

/* A command's reply: CMD_MORE once it is written. */
static enum cmd_result
answer(struct lmtpd *d, int code, const char *enh, const char *text)
{
	return lmtpd_reply(d, code, enh, text) < 0 ? CMD_FAIL : CMD_MORE;
}

/* A command we refuse for its form or its place: these count towards
 * LMTPD_MAX_ERRORS; a recipient's refusal does not. */
static enum cmd_result
bad(struct lmtpd *d, int code, const char *enh, const char *text)
{
	d->errors++;
	return answer(d, code, enh, text);
}

int
lmtpd_answer(struct lmtpd *d, int code, const char *enh, const char *text)
{
	if (d->owed > 0)
		d->owed--;
	return lmtpd_reply(d, code, enh, text);
}

void
lmtpd_mail_refused(struct lmtpd *d)
{
	lmtpd_txn_end(d);
	d->mail_refused = 1;
}

int
lmtpd_flush(struct lmtpd *d)
{
	return transport_flush(d->t) < 0 ? fail(d, "%s", d->t->err) : 0;
}

int
lmtpd_greet(struct lmtpd *d)
{
	char text[300];

	snprintf(text, sizeof(text), "%s LMTP lmtp-iq ready", d->name);
	if (lmtpd_reply(d, 220, "", text) < 0)
		return -1;
	return lmtpd_flush(d);
}

void
lmtpd_txn_end(struct lmtpd *d)
{
	size_t i;

	for (i = 0; i < d->nrcpts; i++)
		free(d->rcpts[i]);
	free(d->rcpts);
	d->rcpts = NULL;
	d->nrcpts = 0;
	d->in_mail = 0;
	d->sender[0] = '\0';
	d->size = -1;
	d->body = BODY_NONE;
}

void
lmtpd_free(struct lmtpd *d)
{
	lmtpd_txn_end(d);
}

/* The argument after "FROM:" or "TO:" (any case, spaces allowed after
 * the colon), or NULL. */
static const char *
after_keyword(const char *arg, const char *kw)
{
	size_t n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return arg;
}

/*
 * "<path>" and what follows.  The address (brackets removed) goes into
 * out; returns the rest (parameters) or NULL with *why set.  What
 * address_problem refuses (a source route among it, as in argv mode)
 * never reaches the upstream server.
 */
static const char *
parse_path(const char *p, char *out, size_t cap, const char **why)
{
	const char *start;
	struct address_quoting q = { 0 };
	size_t len;

	if (*p != '<') {
		*why = "the address must be in angle brackets";
		return NULL;
	}
	start = ++p;
	for (; *p; p++)
		if (address_byte(&q, (unsigned char)*p) == AB_PLAIN && *p == '>')
			break;
	if (*p != '>') {
		*why = "no closing angle bracket";
		return NULL;
	}
	len = (size_t)(p - start);
	if (len >= cap) {
		*why = "address too long";
		return NULL;
	}
	memcpy(out, start, len);
	out[len] = '\0';
	if ((*why = address_problem(out)) != NULL)
		return NULL;
	p++;
	if (*p != '\0' && *p != ' ') {
		*why = "text right after the closing angle bracket";
		return NULL;
	}
	while (*p == ' ')
		p++;
	return p;
}

/* MAIL's parameters: SIZE=n and BODY=7BIT or 8BITMIME, nothing else. */
static const char *
mail_params(struct lmtpd *d, const char *p)
{
	char word[64];
	const char *w;
	size_t n;
	long long size;
	char *end;

	while ((p = words_next(p, &w, &n)) != NULL) {
		if (n >= sizeof(word))
			return "parameter too long";
		memcpy(word, w, n);
		word[n] = '\0';
		if (strncasecmp(word, "SIZE=", 5) == 0) {
			if (!isdigit((unsigned char)word[5]) || strlen(word) > 20)
				return "bad SIZE";
			size = strtoll(word + 5, &end, 10);
			if (*end != '\0')
				return "bad SIZE";
			d->size = size;
		} else if (strcasecmp(word, "BODY=7BIT") != 0 &&
		    strcasecmp(word, "BODY=8BITMIME") != 0) {
			return "unsupported parameter";
		}
	}
	return NULL;
}

static enum cmd_result
cmd_lhlo(struct lmtpd *d, const char *arg)
{
	/* No XFORWARD: Postfix's lmtp client sends IDENT only with the id
	 * an upstream content filter's Postfix gave it, never its own queue
	 * id; the message's topmost Received: line carries that. */
	static const char *const caps[] = { "PIPELINING",
		"ENHANCEDSTATUSCODES", "8BITMIME", "SIZE" };
	char line[LMTPD_REPLY_LINE_MAX + 3];
	size_t i;
	int n, open = d->in_mail;

	if (arg[0] == '\0')
		return bad(d, 501, "5.5.4", "LHLO needs a host name");
	lmtpd_txn_end(d);
	d->mail_refused = 0;
	d->greeted = 1;
	n = snprintf(line, LMTPD_REPLY_LINE_MAX + 1, "250-%s", d->name);
	if (put_line(d, line, (size_t)(n > LMTPD_REPLY_LINE_MAX ? LMTPD_REPLY_LINE_MAX : n)) < 0)
		return CMD_FAIL;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		n = snprintf(line, LMTPD_REPLY_LINE_MAX + 1, "250%c%s",
		    i + 1 < sizeof(caps) / sizeof(caps[0]) ? '-' : ' ', caps[i]);
		if (put_line(d, line, (size_t)n) < 0)
			return CMD_FAIL;
	}
	return open ? CMD_RESET : CMD_MORE;
}

static enum cmd_result
cmd_mail(struct lmtpd *d, const char *arg)
{
	const char *p, *why;

	if (!d->greeted)
		return bad(d, 503, "5.5.1", "LHLO first");
	if (d->in_mail)
		return bad(d, 503, "5.5.1", "nested MAIL command");
	if ((p = after_keyword(arg, "FROM:")) == NULL)
		return bad(d, 501, "5.5.4", "syntax: MAIL FROM:<address>");
	if ((p = parse_path(p, d->sender, sizeof(d->sender), &why)) == NULL)
		return bad(d, 501, "5.1.7", why);
	d->size = -1;
	if ((why = mail_params(d, p)) != NULL)
		return bad(d, 555, "5.5.4", why);
	d->in_mail = 1;
	d->mail_refused = 0;
	return CMD_MAIL;
}

static enum cmd_result
cmd_rcpt(struct lmtpd *d, const char *arg)
{
	char addr[ADDRESS_MAX + 1];
	const char *p, *why;
	char **grown;

	/* Pipelined behind a MAIL that was refused: no error of the
	 * client's (RFC 2920 3.1). */
	if (d->mail_refused)
		return answer(d, 503, "5.5.1", "no transaction: MAIL was refused");
	if (!d->in_mail)
		return bad(d, 503, "5.5.1", "MAIL first");
	if ((p = after_keyword(arg, "TO:")) == NULL)
		return bad(d, 501, "5.5.4", "syntax: RCPT TO:<address>");
	if ((p = parse_path(p, addr, sizeof(addr), &why)) == NULL)
		return bad(d, 501, "5.1.3", why);
	if (addr[0] == '\0')
		return bad(d, 501, "5.1.3", "empty recipient");
	if (*p != '\0')
		return bad(d, 555, "5.5.4", "unsupported parameter");
	if (d->nrcpts >= LMTPD_MAX_RCPTS)
		return answer(d, 452, "4.5.3", "too many recipients");
	grown = realloc(d->rcpts, (d->nrcpts + 1) * sizeof(*grown));
	if (grown == NULL)
		return answer(d, 452, "4.3.0", "out of memory");
	d->rcpts = grown;
	if ((d->rcpts[d->nrcpts] = strdup(addr)) == NULL)
		return answer(d, 452, "4.3.0", "out of memory");
	d->nrcpts++;
	return CMD_RCPT;
}

static enum cmd_result
cmd_data(struct lmtpd *d, const char *arg)
{
	if (d->mail_refused)
		return answer(d, 503, "5.5.1", "no transaction: MAIL was refused");
	if (!d->in_mail)
		return bad(d, 503, "5.5.1", "MAIL first");
	if (d->nrcpts == 0)
		return bad(d, 503, "5.5.1", "no valid recipients");
	if (arg[0] != '\0')
		return bad(d, 501, "5.5.4", "DATA takes no argument");
	d->body = BODY_BOL;
	return CMD_DATA;
}

static enum cmd_result
cmd_rset(struct lmtpd *d, const char *arg)
{
	int open = d->in_mail;

	(void)arg;
	lmtpd_txn_end(d);
	d->mail_refused = 0;
	if (answer(d, 250, "2.0.0", "ok") == CMD_FAIL)
		return CMD_FAIL;
	return open ? CMD_RESET : CMD_MORE;
}

static enum cmd_result
cmd_noop(struct lmtpd *d, const char *arg)
{
	(void)arg;
	return answer(d, 250, "2.0.0", "ok");
}

static enum cmd_result
cmd_quit(struct lmtpd *d, const char *arg)
{
	(void)arg;
	if (lmtpd_reply(d, 221, "2.0.0", "bye") < 0)
		return CMD_FAIL;
	return CMD_QUIT;
}

static enum cmd_result
cmd_vrfy(struct lmtpd *d, const char *arg)
{
	(void)arg;
	return answer(d, 252, "2.5.2", "cannot VRFY; send it and see");
}

static enum cmd_result
cmd_smtp(struct lmtpd *d, const char *arg)
{
	(void)arg;
	/* RFC 2033 4.1: an LMTP server answers HELO and EHLO with 500. */
	return bad(d, 500, "5.5.1", "this is LMTP: say LHLO");
}

static const struct {
	const char *verb;
	enum cmd_result (*run)(struct lmtpd *, const char *);
} commands[] = {
	{ "LHLO", cmd_lhlo },
	{ "MAIL", cmd_mail },
	{ "RCPT", cmd_rcpt },
	{ "DATA", cmd_data },
	{ "RSET", cmd_rset },
	{ "NOOP", cmd_noop },
	{ "QUIT", cmd_quit },
	{ "VRFY", cmd_vrfy },
	{ "HELO", cmd_smtp },
	{ "EHLO", cmd_smtp },
};

static enum cmd_result
dispatch(struct lmtpd *d, const char *line)
{
	size_t i, n = strcspn(line, " ");
	const char *arg = line + n;

	while (*arg == ' ')
		arg++;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (n == strlen(commands[i].verb) &&
		    strncasecmp(line, commands[i].verb, n) == 0)
			return commands[i].run(d, arg);
	return bad(d, 500, "5.5.2", "command not recognized");
}

/* The input failed while waiting for a command. */
static enum lmtpd_event
input_failed(struct lmtpd *d)
{
	struct transport *t = d->t;
	char why[LMTPD_ERR_MAX];

	if (transport_say_timeout(t, d->idle_timeout_ms / 1000,
	    "waiting for a command from")) {
		/* Kept apart: a failed reply would put its own words in
		 * t->err and d->err. */
		snprintf(why, sizeof(why), "%s", t->err);
		(void)lmtpd_reply(d, 421, "4.4.2", "timeout waiting for a "
		    "command; closing");
		(void)lmtpd_flush(d);
		fail(d, "%s", why);
		return LMTPD_FAIL;
	}
	if (!d->in_mail)
		return LMTPD_END;	/* EOF between transactions: done */
	fail(d, "%s in the middle of a transaction", t->err);
	return LMTPD_FAIL;
}

/* What a command came to, as lmtpd_next's event; LMTPD_WAIT: read on. */
static enum lmtpd_event
event_of(struct lmtpd *d, enum cmd_result r)
{
	switch (r) {
	case CMD_MORE:
		return LMTPD_WAIT;
	case CMD_MAIL:
		d->owed++;
		return LMTPD_MAIL;
	case CMD_RCPT:
		d->owed++;
		return LMTPD_RCPT;
	case CMD_DATA:
		d->owed++;
		return LMTPD_DATA;
	case CMD_RESET:
		return LMTPD_RESET;
	case CMD_QUIT:
		(void)lmtpd_flush(d);
		return LMTPD_END;
	case CMD_FAIL:
		break;
	}
	return LMTPD_FAIL;
}

/* A reply of ours that waited behind the caller's goes out, now that
 * they are all out: what its command came to (LMTPD_WAIT: read on). */
static enum lmtpd_event
release_held(struct lmtpd *d)
{
	if (transport_write(d->t, d->held, d->heldlen) < 0) {
		fail(d, "%s", d->t->err);
		return LMTPD_FAIL;
	}
	d->heldlen = 0;
	return event_of(d, (enum cmd_result)d->held_result);
}

enum lmtpd_event
lmtpd_next(struct lmtpd *d, int may_wait)
{
	char line[TRANSPORT_LINE_MAX + 2];
	enum cmd_result r;
	enum lmtpd_event ev;

	for (;;) {
		if (d->heldlen > 0) {
			if (d->owed > 0)
				return LMTPD_WAIT;
			if ((ev = release_held(d)) != LMTPD_WAIT)
				return ev;
		}
		/* Answer when the client has nothing more to say: it may not
		 * read our replies until it has written its group. */
		if (!transport_pending(d->t)) {
			if (lmtpd_flush(d) < 0)
				return LMTPD_FAIL;
			if (!may_wait)
				return LMTPD_WAIT;
		}
		if (d->errors > LMTPD_MAX_ERRORS && d->owed == 0) {
			(void)lmtpd_reply(d, 421, "4.7.0", "too many errors; "
			    "closing");
			(void)lmtpd_flush(d);
			fail(d, "more than %d bad commands from %s",
			    LMTPD_MAX_ERRORS, d->t->peer);
			return LMTPD_FAIL;
		}
		if (transport_read_line(d->t, line, sizeof(line),
		    transport_now_ms() + d->idle_timeout_ms) < 0) {
			if (d->t->fault != TF_LONG_LINE && d->t->fault != TF_NUL)
				return input_failed(d);
			if (d->trace)
				log_trace("<-- [%s]", d->t->err);
			d->holding = d->owed > 0;
			r = bad(d, 500, "5.5.2", d->t->fault == TF_NUL ?
			    "NUL byte in command" : "line too long");
			d->holding = 0;
			if (r == CMD_FAIL)
				return LMTPD_FAIL;
			if (d->heldlen > 0)
				d->held_result = CMD_MORE;
			if (transport_skip_line(d->t, transport_now_ms() +
			    d->idle_timeout_ms) < 0)
				return input_failed(d);
			continue;
		}
		if (d->trace)
			log_trace("<-- %s", line);
		d->holding = d->owed > 0;
		r = dispatch(d, line);
		d->holding = 0;
		if (r == CMD_FAIL)
			return LMTPD_FAIL;
		if (d->heldlen > 0) {
			d->held_result = r;
			continue;	/* out once the caller's are */
		}
		if ((ev = event_of(d, r)) != LMTPD_WAIT)
			return ev;
	}
}

int
lmtpd_data_start(struct lmtpd *d)
{
	if (lmtpd_answer(d, 354, "", "go ahead; end with <CRLF>.<CRLF>") < 0)
		return -1;
	if (d->trace)
		log_trace("<-- [message]");
	return lmtpd_flush(d);
}

int
lmtpd_body_read(struct lmtpd *d, char *out, size_t cap)
{
	const char *p;
	size_t o = 0, i, n;
	int avail, after_cr;
	char c;

	if (d->body == BODY_DONE)
		return 0;
	while (o + 2 <= cap && d->body != BODY_DONE) {
		if (o > 0 && !transport_buffered(d->t))
			break;	/* hand over what we have rather than wait */
		avail = transport_peek(d->t, &p, transport_now_ms() +
		    d->timeout_ms);
		if (avail < 0 && transport_say_timeout(d->t, d->timeout_ms / 1000,
		    "waiting for the rest of the message from"))
			return fail(d, "%s", d->t->err);
		if (avail < 0)
			return fail(d, "%s, reading the message from %s",
			    d->t->err, d->t->peer);
		n = (size_t)avail;
		for (i = 0; i < n && o + 2 <= cap && d->body != BODY_DONE; i++) {
			c = p[i];
			/* RFC 5321 2.3.8: only CRLF ends a line, so only
			 * CRLF "." CRLF ends the data.  A bare LF is data
			 * within a line (the encoder sends it on as a line
			 * end, stuffing whatever dot follows). */
			after_cr = d->body == BODY_CR || d->body == BODY_DOTCR;
			switch (d->body) {
			case BODY_BOL:
				if (c == '.') {
					d->body = BODY_DOT;
					continue;
				}
				break;
			case BODY_DOT:
				if (c == '\r') {
					d->body = BODY_DOTCR;
					continue;
				}
				break;	/* the stuffed dot goes (4.5.2) */
			case BODY_DOTCR:
				if (c == '\n') {
					d->body = BODY_DONE;
					continue;
				}
				out[o++] = '\r';	/* ".\r" then data */
				break;
			default:
				break;
			}
			out[o++] = c;
			d->body = c == '\r' ? BODY_CR : c == '\n' && after_cr ?
			    BODY_BOL : BODY_MID;
		}
		transport_consume(d->t, i);
	}
	return (int)o;
}
