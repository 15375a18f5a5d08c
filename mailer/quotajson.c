/* SPDX-License-Identifier: ISC */
/*
 * quotajson.c - a reader for exactly the JSON that "quota -J" writes:
 * three levels of objects, string keys, integer leaves.  Strings are
 * decoded (\" \\ \/ \b \f \n \r \t \uXXXX as UTF-8); a control byte, a
 * NUL or a name over QUOTAJSON_NAME_MAX is refused, so that no mailbox
 * name can carry a line break into a notice or a log.
 */
#include "quotajson.h"

#include <stdio.h>
#include <string.h>

struct reader {
	const char *p, *end, *start;
	char *why;
	size_t cap;
};

static int
fail(struct reader *r, const char *what)
{
	snprintf(r->why, r->cap, "quota -J report, byte %zu: %s",
	    (size_t)(r->p - r->start), what);
	return -1;
}

static void
skip_space(struct reader *r)
{
	while (r->p < r->end && strchr(" \t\r\n", *r->p) != NULL && *r->p)
		r->p++;
}

/* The next non-space byte is c: take it. */
static int
take(struct reader *r, char c)
{
	skip_space(r);
	if (r->p >= r->end || *r->p != c)
		return 0;
	r->p++;
	return 1;
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* A string into out (cap bytes, NUL-terminated). */
static int
string(struct reader *r, char *out, size_t cap)
{
	size_t o = 0;
	unsigned u;

	if (!take(r, '"'))
		return fail(r, "a string was expected");
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		char enc[4];
		size_t n = 1;

		enc[0] = (char)c;
		if (c < 0x20 || c == 0x7f)
			return fail(r, "a control byte in a string");
		if (c == '\\') {
			if (r->p >= r->end)
				break;
			c = (unsigned char)*r->p++;
			switch (c) {
			case '"': case '\\': case '/': enc[0] = (char)c; break;
			case 'b': case 'f': case 'n': case 'r': case 't':
				return fail(r, "a control character in a string");
			case 'u':
				if (r->end - r->p < 4 || hex4(r->p, &u) < 0)
					return fail(r, "a bad \\u escape");
				r->p += 4;
				/* No surrogates, controls or NUL: no mailbox
				 * name needs them. */
				if (u < 0x20 || u == 0x7f || (u >= 0x80 &&
				    u < 0xa0) || (u >= 0xd800 && u < 0xe000))
					return fail(r, "an escaped control "
					    "character or surrogate in a string");
				if (u < 0x80) {
					enc[0] = (char)u;
				} else if (u < 0x800) {
					enc[0] = (char)(0xc0 | (u >> 6));
					enc[1] = (char)(0x80 | (u & 0x3f));
					n = 2;
				} else {
					enc[0] = (char)(0xe0 | (u >> 12));
					enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
					enc[2] = (char)(0x80 | (u & 0x3f));
					n = 3;
				}
				break;
			default:
				return fail(r, "a bad escape in a string");
			}
		}
		if (o + n >= cap)
			return fail(r, "a name too long");
		memcpy(out + o, enc, n);
		o += n;
	}
	if (r->p >= r->end)
		return fail(r, "the report ends inside a string");
	r->p++;
	out[o] = '\0';
	return 0;
}

/* A non-negative integer, as quota -J writes it. */
static int
integer(struct reader *r, long long *v)
{
	skip_space(r);
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return fail(r, "a number was expected");
	*v = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (*v > (0x7fffffffffffffffLL - 9) / 10)
			return fail(r, "a number too large");
		*v = *v * 10 + (*r->p++ - '0');
	}
	return 0;
}

/* { "used": N, "limit": N }, either order, limit optional. */
static int
resource(struct reader *r, struct quota_entry *e)
{
	char key[16];
	long long v;
	int first = 1, have_used = 0;

	e->used = 0;
	e->limit = -1;
	if (!take(r, '{'))
		return fail(r, "a resource's object was expected");
	while (!take(r, '}')) {
		if (!first && !take(r, ','))
			return fail(r, "',' or '}' was expected");
		first = 0;
		if (string(r, key, sizeof(key)) < 0)
			return -1;
		if (!take(r, ':'))
			return fail(r, "':' was expected");
		if (integer(r, &v) < 0)
			return -1;
		if (strcmp(key, "used") == 0) {
			e->used = v;
			have_used = 1;
		} else if (strcmp(key, "limit") == 0) {
			e->limit = v;
		} else {
			return fail(r, "a resource holds only used and limit");
		}
	}
	return have_used ? 0 : fail(r, "a resource without used");
}

int
quotajson_walk(const char *json, size_t len,
    int (*each)(const struct quota_entry *e, void *arg), void *arg,
    char *why, size_t cap)
{
	struct reader r = { json, json + len, json, why, cap };
	static char root[QUOTAJSON_NAME_MAX], res[64];
	struct quota_entry e;
	int firstroot = 1, first, rc;

	if (!take(&r, '{'))
		return fail(&r, "the report is not a JSON object");
	while (!take(&r, '}')) {
		if (!firstroot && !take(&r, ','))
			return fail(&r, "',' or '}' was expected");
		firstroot = 0;
		if (string(&r, root, sizeof(root)) < 0)
			return -1;
		if (!take(&r, ':') || !take(&r, '{'))
			return fail(&r, "a quota root's object was expected");
		for (first = 1; !take(&r, '}'); first = 0) {
			if (!first && !take(&r, ','))
				return fail(&r, "',' or '}' was expected");
			if (string(&r, res, sizeof(res)) < 0)
				return -1;
			if (!take(&r, ':'))
				return fail(&r, "':' was expected");
			if (resource(&r, &e) < 0)
				return -1;
			e.root = root;
			e.resource = res;
			if ((rc = each(&e, arg)) != 0)
				return rc;
		}
	}
	skip_space(&r);
	if (r.p != r.end)
		return fail(&r, "something follows the report");
	return 0;
}
