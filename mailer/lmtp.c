/*
 * lmtp.c - the LMTP client: replies, LHLO capabilities, and the
 * MAIL/RCPT/DATA transaction with one reply per accepted recipient after
 * the final dot (RFC 2033 4.2), pipelined when offered (RFC 2920).
 */
#define _POSIX_C_SOURCE 200809L
#include "lmtp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* The QUIT reply is a courtesy; do not hold up a finished delivery. */
#define QUIT_TIMEOUT_MS 2000

int
lmtp_fail(struct lmtp *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Server text goes to stderr, syslog and bounces: no control bytes. */
static void
sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* "NNN" then ' ', '-' or end.  Returns the code, or -1 for garbage. */
static int
line_code(const char *line, int *more)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!isdigit((unsigned char)line[i]))
			return -1;
	if (line[0] < '2' || line[0] > '5' || line[1] > '5')
		return -1;
	if (line[3] == '-')
		*more = 1;
	else if (line[3] == ' ' || line[3] == '\0')
		*more = 0;
	else
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* RFC 3463 class.subject.detail at the start of text, whose class must
 * agree with the reply code (RFC 2034 section 4). */
static void
parse_enhanced(const char *text, int code, char *enh, size_t cap)
{
	const char *p = text;
	int part, digits;

	enh[0] = '\0';
	if (p[0] != '0' + code / 100 || p[1] != '.')
		return;
	p += 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; isdigit((unsigned char)*p) && digits < 4; digits++)
			p++;
		if (digits == 0 || digits > 3 || (part == 0 && *p != '.'))
			return;
		if (part == 0)
			p++;
	}
	if (*p != '\0' && *p != ' ')
		return;
	if ((size_t)(p - text) < cap) {
		memcpy(enh, text, (size_t)(p - text));
		enh[p - text] = '\0';
	}
}

/* Append, cutting what does not fit: reply text is for humans. */
static void
append(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(dst), n = strlen(src);

	if (len + 1 >= cap)
		return;
	if (n > cap - len - 1)
		n = cap - len - 1;
	memcpy(dst + len, src, n);
	dst[len + n] = '\0';
}

/*
 * Read all lines of one reply before the deadline.  each, when set, sees
 * every line's text (after "NNN-").  The kept text is the last line in
 * full (code and enhanced status first, where a reader looks) followed by
 * the earlier lines in parentheses.
 */
static int
read_reply(struct lmtp *l, struct reply *r, int timeout_ms,
    void (*each)(struct lmtp *, const char *))
{
	long long deadline = transport_now_ms() + timeout_ms;
	char line[TRANSPORT_LINE_MAX + 2], earlier[REPLY_TEXT_MAX] = "";
	int code, more = 1, n, nlines = 0;

	r->code = 0;
	while (more) {
		n = transport_read_line(l->t, line, sizeof(line), deadline);
		if (n < 0)
			return lmtp_fail(l, "%s", l->t->err);
		sanitize(line);
		if (l->trace)
			log_trace("<<< %s", line);
		code = line_code(line, &more);
		if (code < 0 || (nlines > 0 && code != r->code))
			return lmtp_fail(l, "garbage reply from %s: \"%.200s\"",
			    l->t->peer, line);
		r->code = code;
		if (each)
			each(l, line[3] ? line + 4 : "");
		if (more) {
			if (earlier[0])
				append(earlier, sizeof(earlier), " ");
			append(earlier, sizeof(earlier), line[3] ? line + 4 : "");
		}
		nlines++;
	}
	r->text[0] = '\0';
	append(r->text, sizeof(r->text), line);
	if (earlier[0]) {
		append(r->text, sizeof(r->text), " (");
		append(r->text, sizeof(r->text), earlier);
		append(r->text, sizeof(r->text), ")");
	}
	parse_enhanced(line[3] ? line + 4 : "", r->code, r->enh, sizeof(r->enh));
	return 0;
}

int
lmtp_read_reply(struct lmtp *l, struct reply *r, int timeout_ms)
{
	return read_reply(l, r, timeout_ms, NULL);
}

static int
send_line(struct lmtp *l, const char *line, const char *shown_as)
{
	if (l->trace)
		log_trace(">>> %s", shown_as ? shown_as : line);
	if (transport_puts(l->t, line) < 0 || transport_puts(l->t, "\r\n") < 0)
		return lmtp_fail(l, "%s", l->t->err);
	return 0;
}

static int
flush(struct lmtp *l)
{
	return transport_flush(l->t) < 0 ? lmtp_fail(l, "%s", l->t->err) : 0;
}

int
lmtp_command(struct lmtp *l, const char *line, const char *shown_as,
    struct reply *r)
{
	if (send_line(l, line, shown_as) < 0 || flush(l) < 0)
		return -1;
	return read_reply(l, r, l->timeout_ms, NULL);
}

/* One LHLO reply line: "KEYWORD params".  The first line is the name. */
static void
lhlo_line(struct lmtp *l, const char *text)
{
	static const struct {
		const char *name;
		unsigned cap;
	} known[] = {
		{ "PIPELINING", CAP_PIPELINING },
		{ "8BITMIME", CAP_8BITMIME },
		{ "SIZE", CAP_SIZE },
		{ "IGNOREQUOTA", CAP_IGNOREQUOTA },
		{ "ENHANCEDSTATUSCODES", CAP_ENHANCEDSTATUSCODES },
		{ "AUTH", CAP_AUTH },
	};
	size_t i, kw = strcspn(text, " ");
	const char *params = text + kw + (text[kw] == ' ');

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i].name) != kw ||
		    strncasecmp(text, known[i].name, kw) != 0)
			continue;
		l->caps |= known[i].cap;
		if (known[i].cap == CAP_AUTH)
			snprintf(l->auth_mechs, sizeof(l->auth_mechs), "%s", params);
	}
}

int
lmtp_open(struct lmtp *l, struct transport *t, const char *lhlo_name)
{
	struct reply r;
	char cmd[300];

	l->t = t;
	l->caps = 0;
	l->quit_sent = 0;
	l->auth_mechs[0] = l->greeting[0] = l->err[0] = '\0';

	if (read_reply(l, &r, l->timeout_ms, NULL) < 0)
		return -1;
	snprintf(l->greeting, sizeof(l->greeting), "%s", r.text);
	if (r.code != 220)
		return lmtp_fail(l, "%s greeted with: %s", t->peer, r.text);

	snprintf(cmd, sizeof(cmd), "LHLO %s", lhlo_name);
	if (send_line(l, cmd, NULL) < 0 || flush(l) < 0)
		return -1;
	if (read_reply(l, &r, l->timeout_ms, lhlo_line) < 0)
		return -1;
	if (r.code != 250) {
		l->caps = 0;
		return lmtp_fail(l, "%s rejected LHLO: %s", t->peer, r.text);
	}
	return 0;
}

void
lmtp_caps_string(const struct lmtp *l, char *buf, size_t cap)
{
	static const char *names[] = { "PIPELINING", "8BITMIME", "SIZE",
		"IGNOREQUOTA", "ENHANCEDSTATUSCODES", "AUTH" };
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(l->caps & (1u << i)))
			continue;
		if (buf[0])
			append(buf, cap, " ");
		append(buf, cap, names[i]);
	}
}

static void
set_verdict(struct lmtp_rcpt *rc, enum lmtp_stage stage, const struct reply *r)
{
	rc->have_verdict = 1;
	rc->stage = stage;
	rc->reply = *r;
}

/* A verdict reply is 2xx, 4xx or 5xx; anything else is out of protocol. */
static int
read_verdict(struct lmtp *l, struct reply *r, int timeout_ms, const char *what)
{
	if (read_reply(l, r, timeout_ms, NULL) < 0)
		return -1;
	if (r->code / 100 == 3)
		return lmtp_fail(l, "unexpected reply to %s from %s: %s", what,
		    l->t->peer, r->text);
	return 0;
}

static int
send_envelope_command(struct lmtp *l, const struct lmtp_txn *x, size_t i)
{
	char cmd[600];

	if (i == (size_t)-1) {
		int n = snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", x->sender);

		if (l->caps & CAP_8BITMIME)
			n += snprintf(cmd + n, sizeof(cmd) - (size_t)n,
			    " BODY=8BITMIME");
		if ((l->caps & CAP_SIZE) && x->size >= 0)
			snprintf(cmd + n, sizeof(cmd) - (size_t)n, " SIZE=%lld",
			    x->size);
	} else {
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>%s%s", x->rcpts[i].addr,
		    x->rcpt_param ? " " : "", x->rcpt_param ? x->rcpt_param : "");
	}
	return send_line(l, cmd, NULL);
}

/*
 * MAIL, every RCPT and DATA.  Returns the number of accepted recipients
 * and the DATA reply in *data (code 0 when DATA was not sent), or -1.
 * After a failed MAIL every recipient carries its reply.
 */
static int
envelope(struct lmtp *l, struct lmtp_txn *x, struct reply *data)
{
	int pipelined = (l->caps & CAP_PIPELINING) != 0;
	int mail_ok, accepted = 0;
	struct reply mail, r;
	size_t i;

	data->code = 0;
	if (send_envelope_command(l, x, (size_t)-1) < 0)
		return -1;
	if (pipelined) {
		/* RFC 2920: the whole envelope and DATA in one write. */
		for (i = 0; i < x->nrcpts; i++)
			if (send_envelope_command(l, x, i) < 0)
				return -1;
		if (send_line(l, "DATA", NULL) < 0)
			return -1;
	}
	if (flush(l) < 0 || read_verdict(l, &mail, l->timeout_ms, "MAIL") < 0)
		return -1;
	mail_ok = mail.code / 100 == 2;
	for (i = 0; i < x->nrcpts; i++) {
		if (!mail_ok)
			set_verdict(&x->rcpts[i], STAGE_MAIL, &mail);
		if (!pipelined && !mail_ok)
			continue;
		if (!pipelined && (send_envelope_command(l, x, i) < 0 ||
		    flush(l) < 0))
			return -1;
		if (read_verdict(l, &r, l->timeout_ms, "RCPT") < 0)
			return -1;
		if (!mail_ok)
			continue;
		if (r.code / 100 == 2) {
			x->rcpts[i].accepted = 1;
			accepted++;
		} else {
			set_verdict(&x->rcpts[i], STAGE_RCPT, &r);
		}
	}
	if (!pipelined && accepted > 0 &&
	    (send_line(l, "DATA", NULL) < 0 || flush(l) < 0))
		return -1;
	if ((pipelined || accepted > 0) && read_reply(l, data, l->timeout_ms,
	    NULL) < 0)
		return -1;
	return mail_ok ? accepted : 0;
}

/* Abandon a transaction the server must not complete: a DATA that was
 * answered 354 with nobody to deliver to.  Closing mid-DATA makes the
 * server discard it; sending the dot would deliver an empty message. */
static void
abandon(struct lmtp *l, const struct reply *data)
{
	struct reply r;

	if (data->code == 354) {
		transport_close(l->t);
		return;
	}
	/* Cyrus keeps a rejected MAIL's transaction open: reset it. */
	if (send_line(l, "RSET", NULL) == 0 && flush(l) == 0)
		(void)read_reply(l, &r, l->timeout_ms, NULL);
}

int
lmtp_deliver(struct lmtp *l, struct lmtp_txn *x)
{
	struct reply data, r;
	int accepted, rc;
	size_t i;

	for (i = 0; i < x->nrcpts; i++)
		x->rcpts[i].have_verdict = x->rcpts[i].accepted = 0;
	accepted = envelope(l, x, &data);
	if (accepted < 0)
		return -1;
	if (accepted == 0) {
		abandon(l, &data);
		return LMTP_OK;
	}
	if (data.code != 354) {
		if (data.code / 100 != 4 && data.code / 100 != 5)
			return lmtp_fail(l, "unexpected reply to DATA from %s: %s",
			    l->t->peer, data.text);
		for (i = 0; i < x->nrcpts; i++)
			if (x->rcpts[i].accepted)
				set_verdict(&x->rcpts[i], STAGE_DATA, &data);
		return LMTP_OK;
	}
	if (l->trace)
		log_trace(">>> [message]");
	rc = x->body(x->body_ctx, l->t);
	if (rc == -2) {
		transport_close(l->t);	/* no final dot: nothing is stored */
		return LMTP_EINPUT;
	}
	if (rc < 0)
		return lmtp_fail(l, "%s", l->t->err);
	if (send_line(l, ".", NULL) < 0)
		return -1;
	/* RFC 2920 3.1: QUIT may end a pipelined group; it saves a round
	 * trip, and the replies to the dot still come first. */
	if ((l->caps & CAP_PIPELINING) && send_line(l, "QUIT", NULL) == 0)
		l->quit_sent = 1;
	if (flush(l) < 0)
		return -1;
	for (i = 0; i < x->nrcpts; i++) {
		if (!x->rcpts[i].accepted)
			continue;
		if (read_verdict(l, &r, l->data_timeout_ms, "end of data") < 0)
			return -1;
		set_verdict(&x->rcpts[i], STAGE_DATAEND, &r);
	}
	return LMTP_OK;
}

void
lmtp_quit(struct lmtp *l)
{
	char why[sizeof(l->err)];
	struct reply r;

	/* The session's verdict is made; what QUIT meets must not change
	 * the reason already recorded. */
	memcpy(why, l->err, sizeof(why));
	if (l->t->fd >= 0 && (l->quit_sent || (send_line(l, "QUIT", NULL) == 0 &&
	    flush(l) == 0)))
		(void)read_reply(l, &r, QUIT_TIMEOUT_MS, NULL);
	transport_close(l->t);
	memcpy(l->err, why, sizeof(why));
}
