/* SPDX-License-Identifier: ISC */
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

/* After the final dot the server may have stored the message already. */
static const char after_dot_note[] = "; the message may have been stored; "
    "a retry may deliver it twice";

/* How long a step's reply may take: the session's reply timeout, its
 * timeout for the replies after the final dot, or QUIT's short one. */
enum wait_limit { WAIT_REPLY, WAIT_DOT, WAIT_QUIT };

/*
 * The one table of the client's steps: what each is called in messages
 * (an address, where there is one, goes between arg_open and
 * arg_close) and which limit its reply has.  The bytes sent are built
 * apart (step_command and the literals beside each send), so rewording
 * a message changes nothing on the wire.
 */
static const struct {
	const char *name;
	const char *arg_open, *arg_close;
	enum wait_limit limit;
} steps[] = {
	[LMTP_STEP_GREETING] = { "the greeting", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_LHLO] = { "LHLO", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_STARTTLS] = { "STARTTLS", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_AUTH] = { "AUTH", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_RSET] = { "RSET", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_TRACE] = { "TRACE", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_MAIL] = { "MAIL FROM", ":<", ">", WAIT_REPLY },
	[LMTP_STEP_RCPT] = { "RCPT TO", ":<", ">", WAIT_REPLY },
	[LMTP_STEP_DATA] = { "DATA", NULL, NULL, WAIT_REPLY },
	[LMTP_STEP_DOT] = { "the final dot", " for <", ">", WAIT_DOT },
	[LMTP_STEP_QUIT] = { "QUIT", NULL, NULL, WAIT_QUIT },
};

static int
step_timeout_ms(const struct lmtp *l, enum lmtp_step step)
{
	switch (steps[step].limit) {
	case WAIT_DOT:
		return l->data_timeout_ms;
	case WAIT_QUIT:
		return QUIT_TIMEOUT_MS;
	case WAIT_REPLY:
		break;
	}
	return l->timeout_ms;
}

/* What step waits for, in words ("the reply to RCPT TO:<alice>"), with
 * arg (an address) where the step takes one and arg is not NULL. */
static const char *
step_what(enum lmtp_step step, const char *arg, char *buf, size_t cap)
{
	int with_arg = arg != NULL && steps[step].arg_open != NULL;

	if (step == LMTP_STEP_GREETING)
		return steps[step].name;
	snprintf(buf, cap, "the reply to %s%s%.300s%s", steps[step].name,
	    with_arg ? steps[step].arg_open : "", with_arg ? arg : "",
	    with_arg ? steps[step].arg_close : "");
	return buf;
}

int
lmtp_fail(struct lmtp *l, enum lmtp_fault fault, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	l->fault = fault;
	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	n = strlen(l->err);
	if (l->txn.after_dot && n < sizeof(l->err))
		snprintf(l->err + n, sizeof(l->err) - n, "%s", after_dot_note);
	return -1;
}

/* A new start: no failure recorded. */
static void
clear_failure(struct lmtp *l)
{
	l->fault = LF_NONE;
	l->err[0] = '\0';
}

/* The no-verdict kind of the transport's last failure. */
static enum lmtp_fault
lmtp_fault_of(const struct transport *t)
{
	switch (t->fault) {
	case TF_CONNECT:
		return LF_CONNECT;
	case TF_TIMEOUT:
		return LF_TIMEOUT;
	case TF_DEADLINE:
		return LF_DEADLINE;
	case TF_LONG_LINE:
	case TF_NUL:
		return LF_PROTOCOL;
	case TF_TLS:
		return LF_TLS;
	case TF_NONE:
	case TF_LOST:
		break;
	}
	return LF_LOST;
}

/* A transport failure while waiting for what (e.g. "the reply to RCPT
 * TO:<alice>"), which may take timeout_ms: say which step it was.  A
 * wait that ran out is said in the transport's one wording. */
static int
wait_fail(struct lmtp *l, const char *what, int timeout_ms)
{
	char doing[440];

	snprintf(doing, sizeof(doing), "waiting for %s from", what);
	if (transport_say_timeout(l->t, timeout_ms / 1000, doing))
		return lmtp_fail(l, lmtp_fault_of(l->t), "%s", l->t->err);
	return lmtp_fail(l, lmtp_fault_of(l->t), "%s, waiting for %s",
	    l->t->err, what);
}

/* A transport failure while sending what. */
static int
send_fail(struct lmtp *l, const char *what)
{
	return lmtp_fail(l, lmtp_fault_of(l->t), "%s, sending %s", l->t->err,
	    what);
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
 * Read all lines of step's reply (arg: its address, or NULL) within the
 * step's time limit.  each, when set, is given ctx and
 * every line's text (after "NNN-").  The kept text is the last line in
 * full (code and enhanced status first, where a reader looks) followed by
 * the earlier lines in parentheses.
 */
static int
read_reply(struct lmtp *l, struct lmtp_reply *r, enum lmtp_step step,
    const char *arg, void (*each)(void *, const char *, int), void *ctx)
{
	int timeout_ms = step_timeout_ms(l, step);
	long long deadline = transport_now_ms() + timeout_ms;
	char line[TRANSPORT_LINE_MAX + 2], earlier[LMTP_REPLY_TEXT_MAX] = "";
	char buf[400];
	const char *what = step_what(step, arg, buf, sizeof(buf));
	int code, more = 1, n, nlines = 0;

	r->code = 0;
	while (more) {
		n = transport_read_line(l->t, line, sizeof(line), deadline);
		if (n < 0)
			return wait_fail(l, what, timeout_ms);
		sanitize(line);
		if (l->trace)
			log_trace("<<< %s", line);
		code = line_code(line, &more);
		if (code < 0 || (nlines > 0 && code != r->code))
			return lmtp_fail(l, LF_PROTOCOL, "garbage from %s waiting "
			    "for %s: \"%.200s\"", l->t->peer, what, line);
		r->code = code;
		if (each)
			each(ctx, line[3] ? line + 4 : "", nlines);
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

static int
send_line(struct lmtp *l, const char *line, const char *shown_as)
{
	if (l->trace)
		log_trace(">>> %s", shown_as ? shown_as : line);
	if (transport_puts(l->t, line) < 0 || transport_puts(l->t, "\r\n") < 0)
		return send_fail(l, shown_as ? shown_as : line);
	return 0;
}

static int
flush(struct lmtp *l)
{
	return transport_flush(l->t) < 0 ? send_fail(l, "commands") : 0;
}

int
lmtp_command(struct lmtp *l, enum lmtp_step step, const char *line,
    struct lmtp_reply *r)
{
	if (send_line(l, line, NULL) < 0 || flush(l) < 0)
		return -1;
	return read_reply(l, r, step, NULL, NULL, NULL);
}

/* Where lmtp_auth_command keeps the reply's last line. */
struct raw_line {
	char *buf;
	size_t cap;
};

static void
keep_line(void *ctx, const char *text, int lineno)
{
	struct raw_line *raw = ctx;

	(void)lineno;
	snprintf(raw->buf, raw->cap, "%s", text);
}

int
lmtp_auth_command(struct lmtp *l, const char *line, const char *shown_as,
    struct lmtp_reply *r, char *raw, size_t rawcap)
{
	struct raw_line keep = { raw, rawcap };
	int rc = send_line(l, line, shown_as) < 0 || flush(l) < 0 ? -1 : 0;

	transport_wipe(l->t);	/* a secret line leaves no copy */
	if (rc < 0)
		return -1;
	raw[0] = '\0';
	return read_reply(l, r, LMTP_STEP_AUTH, NULL, keep_line, &keep);
}

/* The capabilities lmtp-iq knows, in the order -n prints them: the one
 * table that LHLO parsing and lmtp_caps_string both read. */
static const struct {
	const char *name;
	unsigned cap;
} known_caps[] = {
	{ "PIPELINING", LMTP_CAP_PIPELINING },
	{ "8BITMIME", LMTP_CAP_8BITMIME },
	{ "SIZE", LMTP_CAP_SIZE },
	{ "IGNOREQUOTA", LMTP_CAP_IGNOREQUOTA },
	{ "ENHANCEDSTATUSCODES", LMTP_CAP_ENHANCEDSTATUSCODES },
	{ "AUTH", LMTP_CAP_AUTH },
	{ "STARTTLS", LMTP_CAP_STARTTLS },
	{ "TRACE", LMTP_CAP_TRACE },
};
#define NKNOWN_CAPS (sizeof(known_caps) / sizeof(known_caps[0]))

/* One LHLO reply line: "KEYWORD params".  The first line is the server's
 * name (RFC 5321 4.1.1.1), never a capability. */
static void
lhlo_line(void *ctx, const char *text, int lineno)
{
	struct lmtp *l = ctx;
	size_t i, kw = strcspn(text, " ");
	const char *params = text + kw + (text[kw] == ' ');

	if (lineno == 0)
		return;
	for (i = 0; i < NKNOWN_CAPS; i++) {
		if (strlen(known_caps[i].name) != kw ||
		    strncasecmp(text, known_caps[i].name, kw) != 0)
			continue;
		l->conn.caps |= known_caps[i].cap;
		if (known_caps[i].cap == LMTP_CAP_AUTH)
			snprintf(l->conn.auth_mechs, sizeof(l->conn.auth_mechs), "%s", params);
	}
}

static int
lhlo(struct lmtp *l)
{
	struct lmtp_reply r;
	char cmd[300];

	l->conn.caps = 0;
	l->conn.auth_mechs[0] = '\0';
	snprintf(cmd, sizeof(cmd), "LHLO %s", l->lhlo_name);
	if (send_line(l, cmd, NULL) < 0 || flush(l) < 0)
		return -1;
	if (read_reply(l, &r, LMTP_STEP_LHLO, NULL, lhlo_line, l) < 0)
		return -1;
	if (r.code != 250) {
		l->conn.caps = 0;
		return lmtp_fail(l, LF_REFUSED, "%s rejected LHLO: %s",
		    l->t->peer, r.text);
	}
	return 0;
}

void
lmtp_init(struct lmtp *l, struct transport *t, const struct lmtp_params *p)
{
	memset(l, 0, sizeof(*l));
	l->t = t;
	l->trace = p->trace;
	l->keep_open = p->keep_open;
	l->timeout_ms = p->timeout_ms;
	l->data_timeout_ms = p->data_timeout_ms;
	l->fault = LF_NONE;
	snprintf(l->lhlo_name, sizeof(l->lhlo_name), "%s", p->lhlo_name);
}

int
lmtp_connect(struct lmtp *l, const char *spec, long long deadline_ms)
{
	memset(&l->conn, 0, sizeof(l->conn));	/* a new server, nothing known */
	if (transport_connect(l->t, spec, l->timeout_ms, deadline_ms) < 0)
		return lmtp_fail(l, lmtp_fault_of(l->t), "%s", l->t->err);
	return 0;
}

int
lmtp_is_open(const struct lmtp *l)
{
	return l->t->fd >= 0;
}

void
lmtp_drop(struct lmtp *l)
{
	transport_close(l->t);
}

void
lmtp_set_deadline(struct lmtp *l, long long deadline_ms)
{
	transport_set_deadline(l->t, deadline_ms);
}

int
lmtp_open(struct lmtp *l)
{
	struct lmtp_reply r;
	struct transport *t = l->t;

	if (read_reply(l, &r, LMTP_STEP_GREETING, NULL, NULL, NULL) < 0)
		return -1;
	snprintf(l->conn.greeting, sizeof(l->conn.greeting), "%s", r.text);
	if (r.code != 220)
		return lmtp_fail(l, LF_REFUSED, "%s greeted with: %s", t->peer,
		    r.text);
	if (lhlo(l) < 0)
		return -1;
	l->conn.caps_plain = l->conn.caps;
	memcpy(l->conn.auth_mechs_plain, l->conn.auth_mechs, sizeof(l->conn.auth_mechs));
	return 0;
}

enum lmtp_tls
lmtp_starttls(struct lmtp *l, const struct stls_settings *s, struct lmtp_reply *r)
{
	l->conn.tls_tried = 1;
	if (lmtp_command(l, LMTP_STEP_STARTTLS, "STARTTLS", r) < 0)
		return LMTP_TLS_FAILED;
	if (r->code != 220)
		return LMTP_TLS_REFUSED;
	l->conn.tls_started = 1;
	if (transport_starttls(l->t, s) < 0) {
		(void)lmtp_fail(l, lmtp_fault_of(l->t), "%s", l->t->err);
		return LMTP_TLS_FAILED;
	}
	if (l->trace) {
		const struct stls_info *i = transport_tls_info(l->t);

		log_trace("--- TLS: %s, %s, %d bits; certificate %s",
		    i->protocol, i->cipher, i->bits, i->verify);
	}
	/* RFC 3207 4.2: forget what the server said before. */
	return lhlo(l) < 0 ? LMTP_TLS_FAILED : LMTP_TLS_UP;
}

void
lmtp_caps_string(unsigned caps, char *buf, size_t cap)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < NKNOWN_CAPS; i++) {
		if (!(caps & known_caps[i].cap))
			continue;
		if (buf[0])
			append(buf, cap, " ");
		append(buf, cap, known_caps[i].name);
	}
}

static void
set_verdict(struct lmtp_rcpt *rc, enum lmtp_step step, const struct lmtp_reply *r)
{
	rc->have_verdict = 1;
	rc->step = step;
	rc->reply = *r;
}

/* A verdict reply is 2xx, 4xx or 5xx; anything else is out of protocol. */
static int
read_verdict(struct lmtp *l, struct lmtp_reply *r, enum lmtp_step step,
    const char *arg)
{
	char buf[400];

	if (read_reply(l, r, step, arg, NULL, NULL) < 0)
		return -1;
	if (r->code / 100 == 3)
		return lmtp_fail(l, LF_PROTOCOL, "unexpected %s from %s: %s",
		    step_what(step, arg, buf, sizeof(buf)), l->t->peer, r->text);
	return 0;
}

/* Where a command stands in the envelope (RFC 2033 4.2): MAIL, each
 * recipient's RCPT, DATA; i is the recipient for LMTP_STEP_RCPT. */
struct place {
	enum lmtp_step step;
	size_t i;
};

static struct place
place_of(const struct lmtp_txn *x, size_t k)
{
	if (k == 0)
		return (struct place){ LMTP_STEP_MAIL, 0 };
	if (k <= x->nrcpts)
		return (struct place){ LMTP_STEP_RCPT, k - 1 };
	return (struct place){ LMTP_STEP_DATA, 0 };
}

/* The address an envelope step names, or NULL (DATA). */
static const char *
step_address(const struct lmtp_txn *x, struct place at)
{
	if (at.step == LMTP_STEP_MAIL)
		return x->sender;
	if (at.step == LMTP_STEP_RCPT)
		return x->rcpts[at.i].addr;
	return NULL;
}

/* The bytes of an envelope step's command with its parameters.  -1 when
 * it would not fit in cap (it is never sent cut). */
static int
step_command(const struct lmtp *l, const struct lmtp_txn *x,
    struct place at, char *cmd, size_t cap)
{
	const char *param = x->rcpt_param;
	int n;

	if (at.step == LMTP_STEP_DATA)
		return snprintf(cmd, cap, "DATA") < 0 ? -1 : 0;
	if (at.step == LMTP_STEP_RCPT)
		n = snprintf(cmd, cap, "RCPT TO:<%s>%s%s", step_address(x, at),
		    param ? " " : "", param ? param : "");
	else
		n = snprintf(cmd, cap, "MAIL FROM:<%s>", x->sender);
	if (at.step == LMTP_STEP_MAIL && (l->conn.caps & LMTP_CAP_8BITMIME) &&
	    n >= 0 && (size_t)n < cap)
		n += snprintf(cmd + n, cap - (size_t)n, " BODY=8BITMIME");
	if (at.step == LMTP_STEP_MAIL && (l->conn.caps & LMTP_CAP_SIZE) &&
	    x->size >= 0 && n >= 0 && (size_t)n < cap)
		n += snprintf(cmd + n, cap - (size_t)n, " SIZE=%lld", x->size);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Where the envelope stands while its replies come in. */
struct envelope_state {
	size_t sent, answered;	/* commands written; replies read */
	int mail_ok;		/* -1 not known yet */
	size_t accepted;	/* RCPTs answered 2xx */
	int data_asked;		/* the recipients are all known: DATA next */
	int stopped;		/* the source abandoned the transaction */
};

/* Whether a step is still worth writing: nothing after a refused MAIL,
 * and no DATA once every RCPT is known to be refused. */
static int
worth_sending(const struct lmtp_txn *x, const struct envelope_state *st,
    struct place at)
{
	if (at.step == LMTP_STEP_MAIL)
		return 1;
	if (st->mail_ok == 0)
		return 0;
	if (at.step == LMTP_STEP_RCPT)
		return 1;
	return !(st->answered > x->nrcpts && st->accepted == 0);
}

/* Whether the step at st->sent is known: recipients the source has not
 * given yet are asked for (waiting only when no reply is due). */
static int
next_known(struct lmtp_txn *x, struct envelope_state *st)
{
	if (st->sent <= x->nrcpts || st->data_asked)
		return 1;
	if (st->stopped || st->mail_ok == 0)
		return 0;
	switch (x->more(x->body_ctx, x, st->sent == st->answered)) {
	case LMTP_MORE_RCPT:
		return 1;
	case LMTP_MORE_DATA:
		st->data_asked = 1;
		return 1;
	case LMTP_MORE_NONE:
		/* Asked while nothing was due, it may not say "not yet". */
		if (st->sent == st->answered)
			st->stopped = 1;
		return 0;
	case LMTP_MORE_STOP:
		st->stopped = 1;
		return 0;
	}
	return 0;
}

/* Read the reply to the step at and file it. */
static int
take_reply(struct lmtp *l, struct lmtp_txn *x, struct envelope_state *st,
    struct place at, struct lmtp_reply *data)
{
	struct lmtp_reply r;
	size_t i;

	if (at.step == LMTP_STEP_DATA)	/* 354 is its good answer */
		return read_reply(l, data, LMTP_STEP_DATA, NULL, NULL, NULL);
	if (read_verdict(l, &r, at.step, step_address(x, at)) < 0)
		return -1;
	if (at.step == LMTP_STEP_MAIL) {
		st->mail_ok = r.code / 100 == 2;
		for (i = 0; !st->mail_ok && i < x->nrcpts; i++)
			set_verdict(&x->rcpts[i], LMTP_STEP_MAIL, &r);
	} else if (st->mail_ok && r.code / 100 == 2) {
		x->rcpts[at.i].accepted = 1;
		st->accepted++;
	} else if (st->mail_ok) {
		set_verdict(&x->rcpts[at.i], LMTP_STEP_RCPT, &r);
	} else {
		return 0;	/* MAIL's refusal is every recipient's */
	}
	if (x->replied != NULL)
		x->replied(x->body_ctx, at.step, at.i, &r);
	return 0;
}

/* What an RSET came to. */
enum rset_result { RSET_DONE, RSET_REFUSED, RSET_UNANSWERED };

/* The reply to RSET, which written says was sent already (pipelined
 * ahead of MAIL).  RSET_REFUSED: the server answered other than 250
 * (in r); RSET_UNANSWERED: no answer came (l->err). */
static enum rset_result
rset(struct lmtp *l, int written, struct lmtp_reply *r)
{
	if ((!written && send_line(l, "RSET", NULL) < 0) || flush(l) < 0 ||
	    read_reply(l, r, LMTP_STEP_RSET, NULL, NULL, NULL) < 0)
		return RSET_UNANSWERED;
	return r->code == 250 ? RSET_DONE : RSET_REFUSED;
}

/* RSET where the session needs it to go on: anything but 250 is a
 * failure.  0, or -1 (l->err). */
static int
rset_needed(struct lmtp *l, int written)
{
	struct lmtp_reply r;

	switch (rset(l, written, &r)) {
	case RSET_DONE:
		return 0;
	case RSET_REFUSED:
		return lmtp_fail(l, LF_PROTOCOL, "%s answered RSET with: %s",
		    l->t->peer, r.text);
	case RSET_UNANSWERED:
		break;
	}
	return -1;
}

/* TRACE's reply: whatever it says changes nothing of the delivery, but
 * it must come, in its turn. */
static int
trace_reply(struct lmtp *l)
{
	struct lmtp_reply r;

	return flush(l) < 0 ? -1 : read_reply(l, &r, LMTP_STEP_TRACE, NULL,
	    NULL, NULL);
}

/*
 * RSET when reset says so (pipelined: its reply is read with the
 * others), then MAIL, every RCPT and DATA.  With
 * PIPELINING up to LMTP_WINDOW commands are written ahead of their
 * replies (RFC 2920); without it, one at a time.  On LMTP_OK, *accepted
 * is the number of recipients accepted and *data DATA's reply (code 0
 * when DATA was not sent); after a refused MAIL every recipient carries
 * its reply.  LMTP_ESTALE when the RSET failed: a failure there comes
 * before any reply of this transaction, and nothing is stored without a
 * final dot, so the caller may open a new session and start again.
 */
static enum lmtp_result
envelope(struct lmtp *l, struct lmtp_txn *x, int reset, size_t *accepted,
    struct lmtp_reply *data)
{
	size_t window = (l->conn.caps & LMTP_CAP_PIPELINING) ? LMTP_WINDOW : 1;
	struct envelope_state st = { .mail_ok = -1,
		.data_asked = x->more == NULL };
	int trace = x->trace != NULL && (l->conn.caps & LMTP_CAP_TRACE) != 0;
	char cmd[600];
	struct place at;

	data->code = 0;
	*accepted = 0;
	if (reset && send_line(l, "RSET", NULL) < 0)
		return LMTP_ESTALE;
	/* TRACE names the transaction in the server's log.  Without
	 * PIPELINING its reply comes before MAIL is sent. */
	if (trace && (snprintf(cmd, sizeof(cmd), "TRACE %s", x->trace) < 0 ||
	    send_line(l, cmd, NULL) < 0))
		return reset ? LMTP_ESTALE : LMTP_EFAIL;
	if (trace && window == 1) {
		if (trace_reply(l) < 0)
			return LMTP_EFAIL;
		trace = 0;
	}
	for (;;) {
		while (st.sent - st.answered < window && next_known(x, &st) &&
		    st.sent < x->nrcpts + 2 &&
		    worth_sending(x, &st, place_of(x, st.sent))) {
			at = place_of(x, st.sent);
			if (step_command(l, x, at, cmd, sizeof(cmd)) < 0) {
				(void)lmtp_fail(l, LF_PROTOCOL, "%s%s%.100s%s "
				    "with its parameters does not fit in %zu "
				    "bytes; nothing sent for it",
				    steps[at.step].name, steps[at.step].arg_open,
				    step_address(x, at), steps[at.step].arg_close,
				    sizeof(cmd));
				return LMTP_EFAIL;
			}
			if (send_line(l, cmd, NULL) < 0)
				return LMTP_EFAIL;
			st.sent++;
		}
		if (st.answered == st.sent) {
			/* Done, or ask the source again, waiting this time. */
			if (st.data_asked || st.stopped || st.mail_ok == 0)
				break;
			continue;
		}
		if (reset && rset_needed(l, 1) < 0)
			return LMTP_ESTALE;
		reset = 0;
		if (trace && trace_reply(l) < 0)
			return LMTP_EFAIL;
		trace = 0;
		if (flush(l) < 0 || take_reply(l, x, &st,
		    place_of(x, st.answered), data) < 0)
			return LMTP_EFAIL;
		st.answered++;
	}
	if (st.mail_ok)
		*accepted = st.accepted;
	return LMTP_OK;
}

/* Abandon a transaction the server must not complete: a DATA that was
 * answered 354 with nobody to deliver to.  Closing mid-DATA makes the
 * server discard it; sending the dot would deliver an empty message. */
static void
abandon(struct lmtp *l, const struct lmtp_reply *data)
{
	struct lmtp_reply r;

	if (data->code == 354) {
		transport_close(l->t);
		return;
	}
	/* Cyrus keeps a rejected MAIL's transaction open: reset it. */
	(void)rset(l, 0, &r);
}

/* Between the 354 and the final dot the server has nothing to say: bytes
 * that come then are not the replies to the dot, and taking them as such
 * could report a delivery that never happened. */
static int
quiet_server(struct lmtp *l, const char *when)
{
	if (!transport_pending(l->t))
		return 0;
	transport_close(l->t);	/* no final dot: nothing is stored */
	return lmtp_fail(l, LF_PROTOCOL, "%s spoke or closed the connection "
	    "%s; nothing delivered", l->t->peer, when);
}

/*
 * After the verdicts, QUIT (already pipelined behind the dot, or sent
 * now) must be answered 2xx.  Any other reply there is one the server
 * meant for the message: it answered out of turn (a reply sent while
 * the body was still on its way was taken as a verdict), so no verdict
 * read on this connection can be trusted.  No answer at all leaves the
 * verdicts standing: the QUIT reply is a courtesy.
 */
static enum lmtp_result
quit_in_step(struct lmtp *l, struct lmtp_txn *x)
{
	struct lmtp_reply r;
	size_t i;

	if (!l->txn.quit_sent && (send_line(l, "QUIT", NULL) < 0 || flush(l) < 0))
		goto unanswered;
	l->txn.quit_sent = 1;
	if (read_reply(l, &r, LMTP_STEP_QUIT, NULL, NULL, NULL) < 0)
		goto unanswered;
	if (r.code / 100 == 2) {
		l->txn.quit_answered = 1;
		return LMTP_OK;
	}
	for (i = 0; i < x->nrcpts; i++)
		x->rcpts[i].have_verdict = 0;
	(void)lmtp_fail(l, LF_PROTOCOL, "%s answered QUIT with \"%.200s\": "
	    "its replies are out of step with the commands, so none of its "
	    "verdicts is trusted", l->t->peer, r.text);
	return LMTP_EFAIL;
unanswered:
	clear_failure(l);
	l->txn.quit_answered = 1;	/* nothing more to wait for */
	return LMTP_OK;
}

enum lmtp_result
lmtp_deliver(struct lmtp *l, struct lmtp_txn *x)
{
	struct lmtp_reply data, r;
	enum lmtp_result rc;
	size_t i, accepted;

	/* A connection that served a transaction is asked first whether it
	 * still listens: with PIPELINING the RSET goes ahead of MAIL in the
	 * same group, which saves a round trip per message. */
	int reset = l->conn.served;
	int pipelined = (l->conn.caps & LMTP_CAP_PIPELINING) != 0;

	/* A kept session carries nothing over from its last transaction. */
	memset(&l->txn, 0, sizeof(l->txn));
	clear_failure(l);
	for (i = 0; i < x->nrcpts; i++)
		x->rcpts[i].have_verdict = x->rcpts[i].accepted = 0;
	if (reset && !pipelined && rset_needed(l, 0) < 0)
		return LMTP_ESTALE;
	l->conn.served = 1;
	if ((rc = envelope(l, x, reset && pipelined, &accepted, &data)) !=
	    LMTP_OK)
		return rc;
	if (accepted == 0 || data.code == 0) {	/* no DATA: abandoned */
		abandon(l, &data);
		return LMTP_OK;
	}
	if (data.code != 354) {
		if (data.code / 100 != 4 && data.code / 100 != 5) {
			(void)lmtp_fail(l, LF_PROTOCOL, "unexpected reply to "
			    "DATA from %s: %s", l->t->peer, data.text);
			return LMTP_EFAIL;
		}
		for (i = 0; i < x->nrcpts; i++)
			if (x->rcpts[i].accepted)
				set_verdict(&x->rcpts[i], LMTP_STEP_DATA, &data);
		return LMTP_OK;
	}
	if (quiet_server(l, "right after its 354 reply") < 0)
		return LMTP_EFAIL;
	if (l->trace)
		log_trace(">>> [message]");
	rc = x->body(x->body_ctx, l->t);
	if (rc == LMTP_EINPUT) {
		transport_close(l->t);	/* no final dot: nothing is stored */
		return LMTP_EINPUT;
	}
	if (rc != LMTP_OK) {
		(void)send_fail(l, "the message");
		return LMTP_EFAIL;
	}
	if (flush(l) < 0 || quiet_server(l, "while the message was being sent") < 0)
		return LMTP_EFAIL;
	l->txn.after_dot = 1;	/* from here on, a retry may duplicate */
	if (send_line(l, ".", NULL) < 0)
		return LMTP_EFAIL;
	/* RFC 2920 3.1: QUIT may end a pipelined group; it saves a round
	 * trip, and the replies to the dot still come first. */
	if ((l->conn.caps & LMTP_CAP_PIPELINING) && !l->keep_open &&
	    send_line(l, "QUIT", NULL) == 0)
		l->txn.quit_sent = 1;
	if (flush(l) < 0)
		return LMTP_EFAIL;
	for (i = 0; i < x->nrcpts; i++) {
		if (!x->rcpts[i].accepted)
			continue;
		if (read_verdict(l, &r, LMTP_STEP_DOT, x->rcpts[i].addr) < 0)
			return LMTP_EFAIL;
		set_verdict(&x->rcpts[i], LMTP_STEP_DOT, &r);
		if (x->verdict != NULL)
			x->verdict(x->body_ctx, i);
	}
	return l->keep_open ? LMTP_OK : quit_in_step(l, x);
}

int
lmtp_reset(struct lmtp *l)
{
	clear_failure(l);
	return rset_needed(l, 0);
}

const char *
lmtp_reply_words(const struct lmtp_reply *r)
{
	const char *p = r->text;
	size_t n = strlen(r->enh);

	p += strspn(p, "0123456789");
	p += strspn(p, " -");
	if (n > 0 && strncmp(p, r->enh, n) == 0)
		p += n;
	return p + strspn(p, " ");
}

int
lmtp_in_step(const struct lmtp *l)
{
	return l->fault == LF_NONE || l->fault == LF_REFUSED ||
	    l->fault == LF_AUTH || l->fault == LF_POLICY ||
	    (l->fault == LF_TLS && !l->conn.tls_started);
}

void
lmtp_quit(struct lmtp *l)
{
	char why[sizeof(l->err)];
	struct lmtp_reply r;

	/* The session's verdict is made; what QUIT meets must not change
	 * the reason already recorded. */
	enum lmtp_fault fault = l->fault;
	/* After a timeout or garbage the dialogue is out of step: waiting
	 * for a QUIT reply would only add to the delay. */
	int in_step = lmtp_in_step(l);

	memcpy(why, l->err, sizeof(why));
	if (lmtp_is_open(l) && in_step && !l->txn.quit_answered && (l->txn.quit_sent ||
	    (send_line(l, "QUIT", NULL) == 0 && flush(l) == 0)))
		(void)read_reply(l, &r, LMTP_STEP_QUIT, NULL, NULL, NULL);
	transport_close(l->t);
	memcpy(l->err, why, sizeof(why));
	l->fault = fault;
}
