/* SPDX-License-Identifier: ISC */
/*
 * mimeword.c - RFC 2047 encoded words, in (decoded to UTF-8 for a person
 * to read) and out (the notice's own 8-bit header fields), and the rules
 * for showing text safely.  See mimeword.h.
 */
#define _DEFAULT_SOURCE
#include "mimeword.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *
mimeword_header_line(const char *p, const char *end)
{
	const char *eol;

	if (p >= end)
		return NULL;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL)
		eol = end;
	return eol == p || (eol == p + 1 && *p == '\r') ? NULL : eol;
}

long
mimeword_field(const char *head, size_t len, const char *name, char *out,
    size_t cap)
{
	const char *p = head, *end = head + len, *eol;
	size_t nl = strlen(name), o = 0;
	int in = 0, found = 0, space = 0;

	while ((eol = mimeword_header_line(p, end)) != NULL) {
		if (!(in && (*p == ' ' || *p == '\t'))) {
			if (in)
				break;	/* the next field: this one ended */
			if (!found && (size_t)(eol - p) > nl &&
			    strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
				in = found = 1;
				p += nl + 1;
			}
		}
		for (; in && p < eol; p++) {
			if (is_wsp(*p)) {
				space = o > 0;
				continue;
			}
			if (space && o + 2 < cap)
				out[o++] = ' ';
			space = 0;
			if (o + 1 < cap)
				out[o++] = *p;
		}
		space = in && o > 0;	/* a line break folds: a space */
		p = eol + 1;
	}
	if (!found)
		return -1;
	out[o] = '\0';
	return (long)o;
}

/* One encoded word, =?charset?enc?text?= (RFC 2047 2), at p. */
struct word {
	const char *charset;	/* without an RFC 2231 "*language" */
	size_t charset_len;
	char enc;		/* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	const char *after;	/* just past "?=" */
};

static int
token_char(char c)
{
	return c > ' ' && c < 0x7f && c != '?';
}

static int
parse_word(const char *p, const char *end, struct word *w)
{
	const char *q = p + 2, *star;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	w->charset = q;
	while (q < end && token_char(*q))
		q++;
	if (q == w->charset || end - q < 4 || q[0] != '?' || q[2] != '?')
		return 0;
	w->charset_len = (size_t)(q - w->charset);
	if ((star = memchr(w->charset, '*', w->charset_len)) != NULL)
		w->charset_len = (size_t)(star - w->charset);
	w->enc = (char)toupper((unsigned char)q[1]);
	if ((w->enc != 'B' && w->enc != 'Q') || w->charset_len == 0)
		return 0;
	w->text = q += 3;
	while (q < end && token_char(*q))
		q++;
	if (end - q < 2 || q[0] != '?' || q[1] != '=')
		return 0;
	w->text_len = (size_t)(q - w->text);
	w->after = q + 2;
	return 1;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)toupper((unsigned char)c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The word's bytes appended to out[*n..cap).  0, or -1 when the text is
 * not what its encoding says (then *n is as it was). */
static int
decode_text(const struct word *w, char *out, size_t *n, size_t cap)
{
	size_t i, o = *n, pad = 0;
	unsigned acc = 0;
	int bits = 0, v, h;

	for (i = 0; i < w->text_len; i++) {
		char c = w->text[i];

		if (w->enc == 'Q') {
			if (c == '=') {
				if (i + 2 >= w->text_len ||
				    (h = hex_value(w->text[i + 1])) < 0 ||
				    (v = hex_value(w->text[i + 2])) < 0)
					return -1;
				c = (char)(h << 4 | v);
				i += 2;
			} else if (c == '_') {
				c = ' ';
			}
			if (o < cap)
				out[o++] = c;
			continue;
		}
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			return -1;	/* text after padding, or not base64 */
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < cap)
				out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	/* Base64 leaves fewer than 8 bits over, all of them zero in a
	 * proper encoding; more than 2 "=" or 6 bits (one lone character)
	 * over is no base64. */
	if (w->enc == 'B' && (pad > 2 || bits >= 6 || (acc & ((1u << bits) -
	    1)) != 0))
		return -1;
	*n = o;
	return 0;
}

/* Bytes of adjacent words in one charset, waiting to be converted. */
struct pending {
	char charset[64];
	char bytes[MIMEWORD_RAW_MAX];
	size_t n;
	const char *raw, *raw_end;	/* the words as they came */
};

static size_t
put(char *out, size_t o, size_t cap, const char *p, size_t n)
{
	if (n > cap - o)
		n = cap - o;
	memcpy(out + o, p, n);
	return o + n;
}

/* pd's bytes converted into UTF-8 at out[o..cap); the words as they came
 * when the charset is unknown.  A byte the charset does not allow goes
 * as it is (shown as \xNN later). */
static size_t
flush(struct pending *pd, char *out, size_t o, size_t cap)
{
	char *in = pd->bytes, *to;
	size_t left = pd->n, room;
	iconv_t cd;

	if (pd->raw == NULL)
		return o;
	if (strcasecmp(pd->charset, "utf-8") == 0 ||
	    strcasecmp(pd->charset, "us-ascii") == 0) {
		o = put(out, o, cap, pd->bytes, pd->n);
	} else if ((cd = iconv_open("UTF-8", pd->charset)) == (iconv_t)-1) {
		o = put(out, o, cap, pd->raw, (size_t)(pd->raw_end - pd->raw));
	} else {
		while (left > 0 && o < cap) {
			to = out + o;
			room = cap - o;
			if (iconv(cd, &in, &left, &to, &room) != (size_t)-1) {
				o = (size_t)(to - out);
				continue;
			}
			o = (size_t)(to - out);
			/* glibc may take the last byte and still say EILSEQ
			 * or EINVAL (ISO-2022-CN-EXT's lone SO): nothing is
			 * left to pass on as it is. */
			if (errno == E2BIG || left == 0)
				break;
			/* EILSEQ, EINVAL: that byte as it is */
			o = put(out, o, cap, in, 1);
			in++;
			left--;
		}
		/* A stateful charset's words end in its initial state
		 * (RFC 2047 5): whatever iconv still holds is written. */
		to = out + o;
		room = cap - o;
		if (iconv(cd, NULL, NULL, &to, &room) != (size_t)-1)
			o = (size_t)(to - out);
		iconv_close(cd);
	}
	pd->raw = NULL;
	pd->n = 0;
	return o;
}

size_t
mimeword_decode(const char *raw, size_t len, char *out, size_t cap)
{
	static struct pending pd;
	const char *p = raw, *end = raw + len, *ws = NULL;
	struct word w;
	size_t o = 0, before;

	pd.raw = NULL;
	pd.n = 0;
	while (p < end) {
		if (pd.raw != NULL && is_wsp(*p)) {
			if (ws == NULL)
				ws = p;	/* held: dropped if a word follows */
			p++;
			continue;
		}
		if (parse_word(p, end, &w) && w.charset_len < sizeof(pd.charset)) {
			if (pd.raw != NULL && (strlen(pd.charset) !=
			    w.charset_len || strncasecmp(pd.charset, w.charset,
			    w.charset_len) != 0))
				o = flush(&pd, out, o, cap);
			before = pd.n;
			if (decode_text(&w, pd.bytes, &pd.n, sizeof(pd.bytes)) == 0) {
				if (pd.raw == NULL) {
					memcpy(pd.charset, w.charset, w.charset_len);
					pd.charset[w.charset_len] = '\0';
					pd.raw = p;
				}
				pd.raw_end = w.after;
				ws = NULL;
				p = w.after;
				continue;
			}
			pd.n = before;
		}
		o = flush(&pd, out, o, cap);
		if (ws != NULL)
			o = put(out, o, cap, ws, (size_t)(p - ws));
		ws = NULL;
		o = put(out, o, cap, p, 1);
		p++;
	}
	o = flush(&pd, out, o, cap);
	if (ws != NULL)
		o = put(out, o, cap, ws, (size_t)(p - ws));
	return o;
}

/* The code point of the UTF-8 sequence at p (RFC 3629: no overlong form,
 * no surrogate, nothing past U+10FFFF), and its length; 0 when there is
 * no valid sequence there. */
static size_t
utf8_at(const unsigned char *p, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

/* Code points a person must not be shown as they are: they reorder or
 * break the text around them (C1 controls, bidi controls, the line and
 * paragraph separators), or cannot be seen at all and so make two texts
 * look alike (zero-width characters, word joiner and invisible
 * operators, the byte order mark, interlinear annotation, tags). */
static int
hidden(unsigned long c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x61c || c == 0x180e ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x2069) || c == 0x2028 || c == 0x2029 ||
	    c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) ||
	    (c >= 0xe0000 && c <= 0xe007f);
}

/* The unit shown for text[i..]: a character, or an escape, into esc;
 * its length in text into *n; the characters it shows. */
static size_t
unit_at(const unsigned char *p, size_t len, char *esc, size_t *n)
{
	unsigned long c;

	*n = utf8_at(p, len, &c);
	if (*n == 0 || c < 0x20 || c == 0x7f || c == '\\') {
		*n = 1;
		return (size_t)snprintf(esc, 16, "\\x%02x", p[0]);
	}
	if (hidden(c))
		return (size_t)snprintf(esc, 16, "\\u{%04lX}", c);
	memcpy(esc, p, *n);
	esc[*n] = '\0';
	return 1;
}

void
mimeword_display(const char *text, size_t len, size_t max, char *out,
    size_t cap)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i, o = 0, chars = 0, total = 0, n, w, limit;
	char esc[16];

	for (i = 0; i < len; i += n)
		total += unit_at(p + i, len - i, esc, &n);
	/* All of it, or as much as leaves room for "...". */
	limit = total <= max ? max : max > 3 ? max - 3 : 0;
	for (i = 0; i < len; i += n) {
		w = unit_at(p + i, len - i, esc, &n);
		if (chars + w > limit || o + strlen(esc) + 4 > cap)
			break;
		memcpy(out + o, esc, strlen(esc));
		o += strlen(esc);
		chars += w;
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* p[0..n) as one encoded word "=?UTF-8?B?...?=" at out[o..cap). */
static size_t
encode_word(const unsigned char *p, size_t n, char *out, size_t o, size_t cap)
{
	size_t i;
	char q[4];

	o = put(out, o, cap, "=?UTF-8?B?", 10);
	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 |
		    (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);

		q[0] = b64[v >> 18];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		o = put(out, o, cap, q, 4);
	}
	return put(out, o, cap, "?=", 2);
}

/* A field's value (v[0..n), one line) as encoded words, folded: pieces
 * of at most 39 bytes, never inside a UTF-8 sequence, so that a line of
 * "Subject: " and one word stays under 78 characters. */
static size_t
encode_value(const unsigned char *v, size_t n, char *out, size_t o,
    size_t cap)
{
	size_t i = 0, take;

	while (i < n) {
		take = n - i < 39 ? n - i : 39;
		while (i + take < n && take > 1 && (v[i + take] & 0xc0) == 0x80)
			take--;	/* the next byte continues a sequence */
		if (i > 0)
			o = put(out, o, cap, "\n ", 2);
		o = encode_word(v + i, take, out, o, cap);
		i += take;
	}
	return o;
}

/* The field that starts at p (a header line, not a continuation): where
 * it ends, past its continuation lines and their line ends. */
static const char *
field_end(const char *p, const char *end)
{
	const char *eol;

	while ((eol = mimeword_header_line(p, end)) != NULL) {
		p = eol + (eol < end);
		if (p >= end || (*p != ' ' && *p != '\t'))
			break;
	}
	return p;
}

int
mimeword_encode_header(const char *in, size_t len, const char *always,
    char *out, size_t cap, size_t *outlen)
{
	static char value[MIMEWORD_VALUE_MAX];
	const char *p = in, *end = in + len, *fe, *v, *q;
	size_t o = 0, n, al = always != NULL ? strlen(always) : 0;
	int encode;

	/* Up to the empty line: the body follows as it is. */
	while (mimeword_header_line(p, end) != NULL) {
		fe = field_end(p, end);
		v = *p == ' ' || *p == '\t' ? NULL : memchr(p, ':',
		    (size_t)(fe - p));
		for (encode = 0, q = p; q < fe && !encode; q++)
			encode = (unsigned char)*q >= 0x80;
		if (v != NULL && al > 0 && (size_t)(v - p) == al &&
		    strncasecmp(p, always, al) == 0)
			encode = 1;
		if (!encode) {
			o = put(out, o, cap, p, (size_t)(fe - p));
			p = fe;
			continue;
		}
		/* The value unfolded (RFC 5322 2.2.3: the line ends go, the
		 * white space after them stays), without white space at
		 * either end, then encoded and folded again.  Lines that
		 * continue no field (v is NULL) are encoded the same way and
		 * stay a continuation: no 8-bit byte is left in the header. */
		if (v != NULL)
			o = put(out, o, cap, p, (size_t)(v + 1 - p));
		for (n = 0, q = v != NULL ? v + 1 : p; q < fe; q++) {
			if (*q == '\r' || *q == '\n')
				continue;
			if (n == sizeof(value))
				return -1;
			value[n++] = *q;
		}
		for (q = value; n > 0 && is_wsp(*q); q++, n--)
			;
		while (n > 0 && is_wsp(q[n - 1]))
			n--;
		o = put(out, o, cap, " ", 1);
		o = encode_value((const unsigned char *)q, n, out, o, cap);
		o = put(out, o, cap, "\n", 1);
		p = fe;
	}
	o = put(out, o, cap, p, (size_t)(end - p));
	if (o >= cap)
		return -1;
	*outlen = o;
	return 0;
}
