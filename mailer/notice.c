/* SPDX-License-Identifier: ISC */
/*
 * notice.c - a refusal notice's text.  The template is the
 * postmaster's, the values come from a stranger's message: so a value
 * goes only where a line of its own cannot become a header field (the
 * Subject line and the body), and it is shown as a person reads it
 * (mimeword.c), escaped where it could mislead.
 */
#define _DEFAULT_SOURCE
#include "notice.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "mimeword.h"

#define SUBJECT_SHOWN 200	/* characters of the refused Subject */

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
notice_subject(const char *head, size_t len, char *out, size_t cap)
{
	if (shown_field(head, len, "Subject", 0, out, cap) == NULL)
		snprintf(out, cap, "(none)");
}

void
notice_from(const char *head, size_t len, const char *sender, char *out,
    size_t cap)
{
	if (shown_field(head, len, "From", 1, out, cap) == NULL)
		snprintf(out, cap, "%s", sender);
}

void
notice_size_text(long long n, char *out, size_t cap)
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

void
notice_interval_text(int seconds, char *out, size_t cap)
{
	if (seconds > 0 && seconds % 3600 == 0)
		snprintf(out, cap, "%d h", seconds / 3600);
	else if (seconds > 0 && seconds % 60 == 0)
		snprintf(out, cap, "%d min", seconds / 60);
	else
		snprintf(out, cap, "%d s", seconds);
}

/* The placeholders, each with where its value is in the facts: a
 * string there, or (user) a pointer to one. */
static const struct {
	const char *name;
	size_t len;
	size_t off;
	int is_pointer;
} placeholders[] = {
#define PLACEHOLDER(n, field, ptr) \
	{ n, sizeof(n) - 1, offsetof(struct notice_facts, field), ptr }
	PLACEHOLDER("user", user, 1),
	PLACEHOLDER("sender", sender, 0),
	PLACEHOLDER("from", from, 0),
	PLACEHOLDER("size", size, 0),
	PLACEHOLDER("bytes", bytes, 0),
	PLACEHOLDER("subject", subject, 0),
	PLACEHOLDER("reply", reply, 0),
	PLACEHOLDER("interval", interval, 0),
#undef PLACEHOLDER
};
#define NPLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

/* The index of the placeholder name[0..len), or NPLACEHOLDERS. */
static size_t
placeholder(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NPLACEHOLDERS; i++)
		if (placeholders[i].len == len &&
		    strncmp(name, placeholders[i].name, len) == 0)
			break;
	return i;
}

static const char *
fact(const struct notice_facts *f, const char *name, size_t len)
{
	size_t i = placeholder(name, len);
	const char *at;

	if (i == NPLACEHOLDERS)
		return NULL;
	at = (const char *)f + placeholders[i].off;
	if (placeholders[i].is_pointer)
		return *(const char *const *)(const void *)at;
	return at;
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

/* The first "%{" in p..eol, or NULL. */
static const char *
placeholder_at(const char *p, const char *eol)
{
	const char *pc;

	while ((pc = memchr(p, '%', (size_t)(eol - p))) != NULL) {
		if (pc + 1 < eol && pc[1] == '{')
			return pc;
		p = pc + 1;
	}
	return NULL;
}

/* Header fields lmtp-iq writes itself: a template must not repeat them. */
static const char *const own_fields[] = { "From:", "To:", "Date:",
	"Message-ID:", "Auto-Submitted:", "MIME-Version:", "Content-Type:",
	"Content-Transfer-Encoding:" };

/* The first "%{" in p..eol that is not one of the placeholders, or
 * NULL. */
static const char *
unknown_placeholder(const char *p, const char *eol)
{
	const char *pc, *close;

	for (; (pc = placeholder_at(p, eol)) != NULL; p = pc + 1) {
		close = memchr(pc + 2, '}', (size_t)(eol - pc - 2));
		if (close == NULL || placeholder(pc + 2,
		    (size_t)(close - pc - 2)) == NPLACEHOLDERS)
			return pc;
	}
	return NULL;
}

/* What is wrong with the line p..eol of a template's header, or NULL. */
static const char *
header_line_problem(const char *p, const char *eol)
{
	size_t i;

	/* A value is one line, but a header line it starts could be any
	 * field (a Subject "Content-Type: text/html"). */
	if (!line_starts(p, eol, "Subject:") && placeholder_at(p, eol) != NULL)
		return "a placeholder in the header outside the Subject line "
		    "(values go in the Subject and the body)";
	if (!field_line(p, eol) && *p != ' ' && *p != '\t')
		return "a header line that is neither a field (Name: value) "
		    "nor its continuation";
	for (i = 0; i < sizeof(own_fields) / sizeof(own_fields[0]); i++)
		if (line_starts(p, eol, own_fields[i]))
			return "a header field lmtp-iq writes itself (From, To, "
			    "Date, Message-ID, Auto-Submitted, MIME-Version, "
			    "Content-Type, Content-Transfer-Encoding)";
	return NULL;
}

const char *
notice_template_problem(const char *t, size_t len, size_t *line)
{
	const char *p = t, *end = t + len, *eol, *bad;
	int subject = 0, header = 1;

	*line = 0;
	if (memchr(t, '\0', len) != NULL)
		return "a NUL byte";
	for (; p < end; p = eol + 1) {
		++*line;
		if (header && (eol = mimeword_header_line(p, end)) == NULL) {
			header = 0;	/* the empty line */
			eol = memchr(p, '\n', (size_t)(end - p));
			if (eol == NULL)
				break;
			continue;
		}
		if (!header && (eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		/* A misspelt placeholder would reach every user as written. */
		if (unknown_placeholder(p, eol) != NULL)
			return "an unknown placeholder (known: %{user}, "
			    "%{sender}, %{from}, %{size}, %{bytes}, %{subject}, "
			    "%{reply}, %{interval})";
		if (!header)
			continue;
		if (line_starts(p, eol, "Subject:"))
			subject = 1;
		if (*line == 1 && (*p == ' ' || *p == '\t'))
			return "a header that starts with a continuation line "
			    "(a field must come first)";
		if ((bad = header_line_problem(p, eol)) != NULL)
			return bad;
	}
	*line = 0;	/* neither problem below is on one line */
	if (header)
		return "no empty line after the header";
	return subject ? NULL : "no Subject: line in the header";
}

int
notice_render(const char *t, size_t len, const struct notice_facts *f,
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

int
notice_template_load(const char *path, char *buf, size_t cap, size_t *len,
    char *why, size_t whycap)
{
	const char *bad = NULL;
	size_t line = 0;
	ssize_t n;
	int fd;

	fd = file_open(path, "refusal_notice_template", FILE_PLAIN, why,
	    whycap);
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		bad = strerror(errno);
	else if ((size_t)n >= cap)
		bad = "over 16 KiB";
	else
		bad = notice_template_problem(buf, (size_t)n, &line);
	if (bad != NULL) {
		if (line > 0)
			snprintf(why, whycap, "refusal_notice_template %s:%zu: %s",
			    path, line, bad);
		else
			snprintf(why, whycap, "refusal_notice_template %s: %s",
			    path, bad);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int
notice_header(const struct notice_header *h, char *out, size_t cap)
{
	char date[64];
	unsigned char rnd[8] = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (getentropy(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));	/* the time and pid still differ */
	n = snprintf(out, cap, "From: %s\nTo: %s%s%s\nDate: %s\n"
	    "Message-ID: <%lld.%ld.%02x%02x%02x%02x%02x%02x%02x%02x."
	    "refusal@%s>\nAuto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n", h->from, h->to,
	    h->to_domain[0] ? "@" : "", h->to_domain,
	    date, (long long)now, (long)getpid(), rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], h->msgid_domain);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
