/* SPDX-License-Identifier: ISC */
/*
 * refusal.c - the notice at the moment of refusal.  lmtp-iq is already
 * connected to the store and knows how to store past the quota, so when
 * the server refuses alice for her quota it can tell her, once a day,
 * which message is waiting.  The notice never touches the refused
 * message's own outcome: it is sent after that reply was given, and
 * whatever becomes of it is only logged.
 */
#define _DEFAULT_SOURCE
#include "refusal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "mimeword.h"
#include "sha256.h"

#define TEMPLATE_MAX 16384
#define NOTICE_MAX (TEMPLATE_MAX + 8192)
#define SUBJECT_SHOWN 200	/* characters of the refused Subject */
#define SENDER_SHOWN 256
#define REPLY_SHOWN 300
#define USER_MAX 256

/* Once a set-up problem disabled the feature, this process stays quiet
 * about it: one syslog line, and mail flows. */
static int disabled;

/* The template, read once per refusal_send (it is small). */
static char template_text[TEMPLATE_MAX];

void
refusal_capture_init(struct refusal_capture *c, message_reader inner,
    void *inner_ctx)
{
	c->inner = inner;
	c->inner_ctx = inner_ctx;
	c->headlen = 0;
	c->size = 0;
	c->ended = 0;
}

int
refusal_capture_read(void *ctx, unsigned char *buf, size_t cap)
{
	struct refusal_capture *c = ctx;
	int n = c->inner(c->inner_ctx, buf, cap);
	size_t take;

	if (n == 0)
		c->ended = 1;
	if (n <= 0)
		return n;
	take = sizeof(c->head) - c->headlen;
	if (take > (size_t)n)
		take = (size_t)n;
	memcpy(c->head + c->headlen, buf, take);
	c->headlen += take;
	c->size += n;
	return n;
}

int
refusal_capture_finish(struct refusal_capture *c)
{
	unsigned char buf[8192];
	int n;

	while (!c->ended && (n = refusal_capture_read(c, buf, sizeof(buf))) != 0)
		if (n < 0)
			return -1;
	return 0;
}

/* Over quota, by the enhanced code: RFC 3463 X.2.2 "mailbox full".
 * Cyrus says 452 4.2.2, or 552 5.2.2 with lmtp_over_quota_perm_failure. */
static int
over_quota(const struct lmtp_rcpt *rc)
{
	const struct lmtp_reply *r = &rc->reply;

	return rc->have_verdict && ((r->code == 452 &&
	    strcmp(r->enh, "4.2.2") == 0) || (r->code == 552 &&
	    strcmp(r->enh, "5.2.2") == 0));
}

int
refusal_due(const struct config *cfg, const char *sender,
    const struct lmtp_rcpt *rcpts, size_t n)
{
	size_t i;

	/* Never a notice about a notice. */
	if (!cfg->refusal_notice || disabled ||
	    strcasecmp(sender, cfg->refusal_notice_from) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (over_quota(&rcpts[i]))
			return 1;
	return 0;
}

/* Whether s (n bytes) is a dot-string (RFC 5321 4.1.2): atoms of atext
 * joined by single dots.  Anything else needs quotes in an address. */
static int
dot_string(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.' ? s[i + 1] == '.' : !isalnum(ch) &&
		    strchr("!#$%&'*+-/=?^_`{|}~", ch) == NULL)
			return 0;
	}
	return 1;
}

/* The mailbox a recipient names, as a key and as an address.  RFC 5321
 * 4.1.2: "alice" and alice are one mailbox, so the local part is taken
 * out of its quotes first; then +detail goes (in or out of quotes: the
 * same mailbox to Cyrus) and the domain stays (virtdomains).  The key is
 * that, lower case: alice, Alice, "alice" and alice+x share one notice.
 * The address is the same mailbox to send the notice to, its local part
 * quoted again when it is not a dot-string.  0, or -1 when it does not
 * fit or is no address. */
static int
mailbox_of(const char *addr, char *key, size_t keycap, char *to,
    size_t tocap)
{
	char local[USER_MAX];
	const char *p = addr, *domain;
	size_t n = 0, i, o = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 >= sizeof(local))
				return -1;
			local[n++] = *p;
		}
		if (*p++ != '"' || (*p != '\0' && *p != '@'))
			return -1;
		domain = p;
	} else {
		domain = strrchr(p, '@');
		if (domain == NULL)
			domain = p + strlen(p);
		n = (size_t)(domain - p);
		if (n >= sizeof(local))
			return -1;
		memcpy(local, p, n);
	}
	local[n] = '\0';
	n = strcspn(local, "+");
	local[n] = '\0';
	if (n == 0 || n + strlen(domain) + 1 > keycap)
		return -1;
	for (i = 0; i < n; i++)
		key[o++] = (char)tolower((unsigned char)local[i]);
	for (i = 0; domain[i]; i++)
		key[o++] = (char)tolower((unsigned char)domain[i]);
	key[o] = '\0';
	o = 0;
	if (dot_string(local, n)) {
		o = (size_t)snprintf(to, tocap, "%s", local);
	} else {
		to[o++] = '"';
		for (i = 0; i < n && o + 3 < tocap; i++) {
			if (local[i] == '"' || local[i] == '\\')
				to[o++] = '\\';
			to[o++] = local[i];
		}
		if (i < n)
			return -1;
		to[o++] = '"';
		to[o] = '\0';
	}
	if (o + strlen(domain) >= tocap)
		return -1;
	memcpy(to + o, domain, strlen(domain) + 1);
	return 0;
}

/* The state file's name for a user: "u." and the name with anything but
 * letters, digits, ".", "-", "_" and "@" as %XX, so that no user can name
 * another path; a name that would not fit in a file name (NAME_MAX) is
 * "h." and the SHA-256 of the key in hex, so that it has a file too. */
static void
state_name(const char *user, char *name, size_t cap)
{
	unsigned char d[SHA256_LEN];
	const char *p;
	size_t o = 2, i;

	memcpy(name, "u.", 3);
	for (p = user; *p && o + 4 <= cap && o + 3 <= NAME_MAX; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) || strchr(".-_@", ch) != NULL)
			name[o++] = (char)ch;
		else
			o += (size_t)snprintf(name + o, cap - o, "%%%02X", ch);
	}
	name[o] = '\0';
	if (*p == '\0')
		return;
	sha256(user, strlen(user), d);
	memcpy(name, "h.", 3);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(name + 2 + 2 * i, cap - 2 - 2 * i, "%02x", d[i]);
}

/* A set-up problem: notices stop for this process, with one line. */
static void
disable(const char *why)
{
	disabled = 1;
	log_mail(LOG_ERR, "refusal notices off: %s; mail still flows", why);
}

/* The state directory, checked as the password file is.  -1: why. */
static int
open_dir(const struct config *cfg, char *why, size_t cap)
{
	return file_open(cfg->refusal_notice_dir, "refusal_notice_dir",
	    FILE_DIR, why, cap);
}

enum claim { CLAIM_OK, CLAIM_RECENT, CLAIM_BUSY, CLAIM_FAIL };

/* The user's slot: a file locked while its notice is on its way, holding
 * when the last one was stored.  CLAIM_OK leaves *fd open and locked. */
static enum claim
claim(const struct config *cfg, int dirfd, const char *user, int *fd,
    long long *last)
{
	char name[USER_MAX * 3 + 8], text[32];
	struct stat st;
	long long now;
	ssize_t n;

	*last = 0;
	state_name(user, name, sizeof(name));
	*fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600);
	if (*fd < 0) {
		char why[CONFIG_VALUE_MAX + 64];

		if (errno == EACCES || errno == EROFS || errno == EPERM) {
			snprintf(why, sizeof(why), "refusal_notice_dir %s is "
			    "not writable by this user",
			    cfg->refusal_notice_dir);
			disable(why);
		}
		return CLAIM_FAIL;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(*fd);
		return CLAIM_FAIL;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;

		close(*fd);
		return busy ? CLAIM_BUSY : CLAIM_FAIL;
	}
	n = pread(*fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	*last = strtoll(text, NULL, 10);
	now = (long long)time(NULL);
	/* A stamp from the future (the clock was set back) starts nothing. */
	if (*last > 0 && *last <= now &&
	    now - *last < cfg->refusal_notice_interval) {
		close(*fd);
		return CLAIM_RECENT;
	}
	return CLAIM_OK;
}

/* The interval starts now: a notice was stored. */
static void
stamp(int fd)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%lld\n", (long long)time(NULL));

	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len ||
	    fdatasync(fd) != 0)
		log_mail(LOG_ERR, "refusal notice: cannot record the notice "
		    "just stored: %s", strerror(errno));
}

/* Whether the line p..eol starts with word, case ignored. */
static int
line_starts(const char *p, const char *eol, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(eol - p) >= n && strncasecmp(p, word, n) == 0;
}

/* A field of the refused message's header as its reader sees it
 * (mimeword.c), or NULL when there is none or it is empty.  unquote
 * takes a display name out of its quotes (From): "Muller, Andre"
 * <a@example.org> reads Muller, Andre <a@example.org>. */
static const char *
shown_field(const char *head, size_t len, const char *name, int unquote,
    char *out, size_t cap)
{
	static char raw[MIMEWORD_RAW_MAX], text[4 * MIMEWORD_RAW_MAX];
	long n = mimeword_field(head, len, name, raw, sizeof(raw));
	size_t i, o = 0, tlen;
	int quoted = 0;

	if (n <= 0)
		return NULL;
	if (unquote) {
		for (i = 0; i < (size_t)n; i++) {
			if (raw[i] == '"') {
				quoted = !quoted;
				continue;
			}
			if (quoted && raw[i] == '\\' && i + 1 < (size_t)n)
				i++;
			raw[o++] = raw[i];
		}
		n = (long)o;
	}
	tlen = mimeword_decode(raw, (size_t)n, text, sizeof(text));
	mimeword_display(text, tlen, SUBJECT_SHOWN, out, cap);
	return out;
}

void
refusal_subject(const char *head, size_t len, char *out, size_t cap)
{
	if (shown_field(head, len, "Subject", 0, out, cap) == NULL)
		snprintf(out, cap, "(none)");
}

void
refusal_from(const char *head, size_t len, const char *sender, char *out,
    size_t cap)
{
	if (shown_field(head, len, "From", 1, out, cap) == NULL)
		snprintf(out, cap, "%s", sender);
}

void
refusal_size_text(long long n, char *out, size_t cap)
{
	static const char *const unit[] = { "kB", "MB", "GB" };
	long long tenth = 100, tenths;	/* bytes in a tenth of the unit */
	size_t u;

	if (n < 1000) {
		snprintf(out, cap, "%lld byte%s", n, n == 1 ? "" : "s");
		return;
	}
	/* The first unit in which n rounds to less than 1000.0; each from
	 * the byte count, so that rounding happens once. */
	for (u = 0;; u++, tenth *= 1000) {
		tenths = (n + tenth / 2) / tenth;
		if (tenths < 10000 || u + 1 == sizeof(unit) / sizeof(unit[0]))
			break;
	}
	snprintf(out, cap, "%lld.%lld %s", tenths / 10, tenths % 10, unit[u]);
}

static const char *
fact(const struct refusal_facts *f, const char *name, size_t len)
{
	static const char *const names[] = { "user", "sender", "from", "size",
		"bytes", "subject", "reply" };
	const char *values[] = { f->user, f->sender, f->from, f->size,
		f->bytes, f->subject, f->reply };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0)
			return values[i];
	return NULL;
}

/* Whether p..eol starts a header field: a name of printable ASCII
 * other than ":", then ":" (RFC 5322 2.2). */
static int
field_line(const char *p, const char *eol)
{
	const char *q = p;

	while (q < eol && *q > ' ' && *q < 0x7f && *q != ':')
		q++;
	return q > p && q < eol && *q == ':';
}

/* Whether p..eol holds "%{". */
static int
has_placeholder(const char *p, const char *eol)
{
	const char *pc;

	while ((pc = memchr(p, '%', (size_t)(eol - p))) != NULL) {
		if (pc + 1 < eol && pc[1] == '{')
			return 1;
		p = pc + 1;
	}
	return 0;
}

/* Header fields lmtp-iq writes itself: a template must not repeat them. */
static const char *const own_fields[] = { "From:", "To:", "Date:",
	"Message-ID:", "Auto-Submitted:", "MIME-Version:", "Content-Type:",
	"Content-Transfer-Encoding:" };

const char *
refusal_template_problem(const char *t, size_t len)
{
	const char *p = t, *end = t + len, *eol;
	int subject = 0;
	size_t i;

	if (memchr(t, '\0', len) != NULL)
		return "a NUL byte";
	for (;;) {
		if (p >= end)
			return "no empty line after the header";
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break;
		if (line_starts(p, eol, "Subject:"))
			subject = 1;
		/* A value is one line, but a header line it starts could
		 * be any field (a Subject "Content-Type: text/html"). */
		else if (has_placeholder(p, eol))
			return "a placeholder in the header outside the Subject "
			    "line (values go in the Subject and the body)";
		if (!field_line(p, eol) && *p != ' ' && *p != '\t')
			return "a header line that is neither a field "
			    "(Name: value) nor its continuation";
		for (i = 0; i < sizeof(own_fields) / sizeof(own_fields[0]); i++)
			if (line_starts(p, eol, own_fields[i]))
				return "a header field lmtp-iq writes itself "
				    "(From, To, Date, Message-ID, "
				    "Auto-Submitted, MIME-Version, "
				    "Content-Type, Content-Transfer-Encoding)";
		p = eol + 1;
	}
	return subject ? NULL : "no Subject: line in the header";
}

int
refusal_render(const char *t, size_t len, const struct refusal_facts *f,
    char *out, size_t cap, size_t *outlen)
{
	size_t i = 0, o = 0, n;
	const char *close, *v;

	while (i < len) {
		v = NULL;
		if (t[i] == '%' && i + 1 < len && t[i + 1] == '{' &&
		    (close = memchr(t + i + 2, '}', len - i - 2)) != NULL)
			v = fact(f, t + i + 2, (size_t)(close - t - i - 2));
		if (v != NULL) {
			n = strlen(v);
			i = (size_t)(close - t) + 1;
		} else {
			v = t + i;
			n = 1;
			i++;
		}
		if (o + n >= cap)
			return -1;
		memcpy(out + o, v, n);
		o += n;
	}
	*outlen = o;
	return 0;
}

/* The template file, read whole (it is small).  -1: why. */
static int
load_template(const struct config *cfg, char *buf, size_t cap, size_t *len,
    char *why, size_t whycap)
{
	const char *bad = NULL;
	ssize_t n;
	int fd;

	fd = file_open(cfg->refusal_notice_template, "refusal_notice_template",
	    FILE_PLAIN, why, whycap);
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		bad = strerror(errno);
	else if ((size_t)n >= cap)
		bad = "over 16 KiB";
	else
		bad = refusal_template_problem(buf, (size_t)n);
	if (bad != NULL) {
		snprintf(why, whycap, "refusal_notice_template %s: %s",
		    cfg->refusal_notice_template, bad);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* The notice as the message body reader gives it. */
struct notice_src {
	const char *p;
	size_t left;
};

static int
notice_read(void *ctx, unsigned char *buf, size_t cap)
{
	struct notice_src *src = ctx;
	size_t n = src->left < cap ? src->left : cap;

	memcpy(buf, src->p, n);
	src->p += n;
	src->left -= n;
	return (int)n;
}

struct notice_body {
	struct notice_src src;
	struct message_buf *buf;
};

static int
notice_body(void *ctx, struct transport *t)
{
	struct notice_body *b = ctx;

	return message_stream(b->buf, notice_read, &b->src, t);
}

/* The domain of an address, or NULL: what follows its last "@", if
 * that is not inside a quoted local part. */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' && strchr(at, '"') == NULL ?
	    at + 1 : NULL;
}

/* The domain a notice's Message-ID: is in (and its To:, for a recipient
 * without one, when it is configured), and which rule chose it:
 * refusal_notice_domain, else the recipient's domain, else the notice
 * sender's, else the LHLO name.  Never a DNS lookup. */
static const char *
notice_domain(const struct config *cfg, const char *to, char *buf,
    size_t cap, const char **rule)
{
	const char *d;

	if (cfg->refusal_notice_domain[0]) {
		*rule = "refusal_notice_domain";
		return cfg->refusal_notice_domain;
	}
	if (to != NULL && (d = domain_of(to)) != NULL) {
		*rule = "the recipient's domain";
		return d;
	}
	if ((d = domain_of(cfg->refusal_notice_from)) != NULL) {
		*rule = "refusal_notice_from's domain";
		return d;
	}
	session_local_name(cfg, buf, cap);
	*rule = "the LHLO name";
	return buf;
}

/* Our own header fields into out; their length, or -1. */
static int
header(const struct config *cfg, const char *user, char *out, size_t cap)
{
	char date[64], host[256];
	const char *domain, *rule, *to_domain;
	unsigned char rnd[8] = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (getentropy(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));	/* the time and pid still differ */
	domain = notice_domain(cfg, user, host, sizeof(host), &rule);
	/* To: as a mail client shows it: alice@example.org rather than a
	 * bare alice, where the domain is known. */
	to_domain = domain_of(user) == NULL ? cfg->refusal_notice_domain : "";
	n = snprintf(out, cap, "From: %s\nTo: %s%s%s\nDate: %s\n"
	    "Message-ID: <%lld.%ld.%02x%02x%02x%02x%02x%02x%02x%02x."
	    "refusal@%s>\nAuto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n", cfg->refusal_notice_from, user,
	    to_domain[0] ? "@" : "", to_domain,
	    date, (long long)now, (long)getpid(), rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], domain);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Deliver one composed notice to user.  Returns 1 when stored. */
static int
deliver_notice(struct session *s, const struct config *cfg, const char *user,
    const char *text, size_t len, const char *refused_from)
{
	struct notice_body b = { .src = { text, len } };
	struct lmtp_rcpt rc = { .addr = user };
	struct session_outcome o;
	struct lmtp_txn x;
	int stored;

	if ((b.buf = malloc(sizeof(*b.buf))) == NULL) {
		log_mail(LOG_ERR, "refusal notice: to=<%s>, not sent: out of "
		    "memory", user);
		return 0;
	}
	x = (struct lmtp_txn){ .sender = cfg->refusal_notice_from,
		.size = (long long)len, .rcpts = &rc, .nrcpts = 1,
		.body = notice_body, .body_ctx = &b };
	(void)session_deliver_notice(s, &x);
	free(b.buf);
	session_outcome(s, &rc, &o);
	stored = rc.have_verdict && rc.reply.code / 100 == 2;
	log_mail(stored ? LOG_INFO : LOG_NOTICE, "refusal notice: to=<%s>, "
	    "about a message from %s, dsn=%s, stat=%s (%s)", user,
	    refused_from, o.dsn, stored ? "Sent" : "not stored", o.text);
	return stored;
}

/* One user's notice, if none was stored within the interval: key names
 * the user's state (mailbox_of), user is the address to send it to. */
static void
notify(struct session *s, const struct config *cfg, int dirfd,
    const char *key, const char *user, const struct lmtp_rcpt *rc,
    const struct refusal_facts *base, size_t tlen)
{
	static char text[NOTICE_MAX + 1024], sent[2 * NOTICE_MAX];
	struct refusal_facts f = *base;
	size_t rlen, room, slen;
	long long last;
	int fd = -1, n;

	switch (claim(cfg, dirfd, key, &fd, &last)) {
	case CLAIM_RECENT:
		log_mail(LOG_INFO, "refusal notice: to=<%s>, not sent: one was "
		    "stored %lld s ago (refusal_notice_interval %d s)", user,
		    (long long)time(NULL) - last, cfg->refusal_notice_interval);
		return;
	case CLAIM_BUSY:
		log_mail(LOG_INFO, "refusal notice: to=<%s>, not sent: another "
		    "lmtp-iq is sending one now", user);
		return;
	case CLAIM_FAIL:
		if (!disabled)
			log_mail(LOG_ERR, "refusal notice: to=<%s>, not sent: "
			    "its state file in %s cannot be used", user,
			    cfg->refusal_notice_dir);
		return;
	case CLAIM_OK:
		break;
	}
	f.user = user;
	log_escape(rc->reply.text, f.reply, REPLY_SHOWN);
	/* The filled-in template goes right after the header, and stays
	 * under NOTICE_MAX as well as within the buffer. */
	n = header(cfg, user, text, sizeof(text));
	room = n < 0 ? 0 : sizeof(text) - (size_t)n;
	if (room > NOTICE_MAX)
		room = NOTICE_MAX;
	/* Then its 8-bit header fields (a Subject with a value, a template
	 * in another language) as RFC 2047 words: Cyrus masks 8-bit bytes
	 * in a header. */
	if (n < 0 || refusal_render(template_text, tlen, &f, text + n, room,
	    &rlen) < 0 || mimeword_encode_header(text, (size_t)n + rlen, sent,
	    sizeof(sent), &slen) < 0)
		log_mail(LOG_ERR, "refusal notice: to=<%s>, not sent: the "
		    "notice would be over %d bytes", user, NOTICE_MAX);
	else if (deliver_notice(s, cfg, user, sent, slen, f.sender))
		stamp(fd);
	close(fd);
}

/* The template read and the state directory open, as every notice
 * needs them.  0, or -1 and why. */
static int
prepare(const struct config *cfg, size_t *tlen, int *dirfd, char *why,
    size_t cap)
{
	if (load_template(cfg, template_text, sizeof(template_text), tlen, why,
	    cap) < 0)
		return -1;
	*dirfd = open_dir(cfg, why, cap);
	return *dirfd < 0 ? -1 : 0;
}

void
refusal_send(struct session *s, const struct config *cfg, const char *sender,
    struct refusal_capture *cap, const struct lmtp_rcpt *rcpts, size_t n)
{
	char why[1300], key[USER_MAX], other[USER_MAX], to[USER_MAX + 64];
	char to_other[USER_MAX + 64];
	struct refusal_facts f = { 0 };
	size_t tlen, i, j;
	int dirfd, seen;

	if (!refusal_due(cfg, sender, rcpts, n))
		return;
	if (prepare(cfg, &tlen, &dirfd, why, sizeof(why)) < 0) {
		disable(why);
		return;
	}
	log_escape(sender[0] ? sender : "<>", f.sender, SENDER_SHOWN);
	if (cap->ended) {
		refusal_size_text(cap->size, f.size, sizeof(f.size));
		snprintf(f.bytes, sizeof(f.bytes), "%lld", cap->size);
	} else {
		snprintf(f.size, sizeof(f.size), "(unknown)");
		snprintf(f.bytes, sizeof(f.bytes), "(unknown)");
	}
	refusal_subject(cap->head, cap->headlen, f.subject, sizeof(f.subject));
	refusal_from(cap->head, cap->headlen, f.sender, f.from, sizeof(f.from));
	for (i = 0; i < n && !disabled; i++) {
		if (!over_quota(&rcpts[i]) || mailbox_of(rcpts[i].addr, key,
		    sizeof(key), to, sizeof(to)) < 0)
			continue;
		/* alice and alice+x in one message: one notice. */
		for (j = 0, seen = 0; j < i && !seen; j++)
			seen = over_quota(&rcpts[j]) &&
			    mailbox_of(rcpts[j].addr, other, sizeof(other),
			    to_other, sizeof(to_other)) == 0 &&
			    strcmp(key, other) == 0;
		if (!seen)
			notify(s, cfg, dirfd, key, to, &rcpts[i], &f, tlen);
	}
	close(dirfd);
}

void
refusal_describe(const struct config *cfg, char *buf, size_t cap)
{
	char why[1300], host[256];
	const char *domain, *rule;
	size_t tlen;
	int fd;

	if (!cfg->refusal_notice) {
		snprintf(buf, cap, "off");
		return;
	}
	if (prepare(cfg, &tlen, &fd, why, sizeof(why)) < 0) {
		snprintf(buf, cap, "on, but none can be sent: %s", why);
		return;
	}
	close(fd);
	domain = notice_domain(cfg, NULL, host, sizeof(host), &rule);
	snprintf(buf, cap, "on: from %s, template %s, state %s, at most one "
	    "per user every %d s; To: the recipient%s%s%s; Message-ID: in "
	    "%s%s (%s)", cfg->refusal_notice_from, cfg->refusal_notice_template,
	    cfg->refusal_notice_dir, cfg->refusal_notice_interval,
	    cfg->refusal_notice_domain[0] ? ", with @" : " as refused",
	    cfg->refusal_notice_domain, cfg->refusal_notice_domain[0] ?
	    " where it has no domain" : "", cfg->refusal_notice_domain[0] ?
	    "" : "the recipient's domain, else ", domain, rule);
}
