/* SPDX-License-Identifier: ISC */
/*
 * address.c - envelope address checks.  Whatever the address, the
 * command lmtp-iq writes must stay one well-formed line.
 */
#include "address.h"

#include <string.h>

enum address_byte
address_byte(struct address_quoting *q, unsigned char c)
{
	if (q->pair) {
		q->pair = 0;
		return AB_QUOTED;
	}
	if (c == '"') {
		q->quoted = !q->quoted;
		return AB_MARK;
	}
	if (!q->quoted)
		return AB_PLAIN;
	if (c == '\\') {
		q->pair = 1;
		return AB_MARK;
	}
	return AB_QUOTED;
}

/* A space is allowed only inside a quoted local part ("a b"@example.org,
 * RFC 5321 4.1.2); elsewhere it would end the path and turn the rest
 * into parameters. */
const char *
address_problem(const char *a)
{
	const unsigned char *p;
	struct address_quoting q = { 0 };

	if (strlen(a) > ADDRESS_MAX)
		return "address too long";
	/* A source route (<@a,@b:user@dom>, RFC 5321 appendix C) is
	 * refused in both modes rather than cut off: the sender the
	 * IGNOREQUOTA policy sees must be the one written.  Sendmail never
	 * hands one to a mailer (it prunes routes); a route here was
	 * written by hand. */
	if (a[0] == '@')
		return "source route in address (not accepted)";
	/* Every byte is looked at, the one after a backslash too: a
	 * quoted-pair (RFC 5321 4.1.2) quotes only printable ASCII and the
	 * space, and a line break behind a backslash would still end the
	 * command on the wire. */
	for (p = (const unsigned char *)a; *p; p++) {
		if (*p == '\r' || *p == '\n')
			return "line break in address";
		if (*p == '\t' || (address_byte(&q, *p) == AB_PLAIN && *p == ' '))
			return "unquoted space in address";
		if (*p < 0x20 || *p == 0x7f)
			return "control character in address";
		if (*p == '<' || *p == '>')
			return "angle bracket in address";
	}
	return q.quoted ? "unterminated quote in address" : NULL;
}

const char *
address_envelope_sender(const char *s)
{
	return (s == NULL || strcmp(s, "<>") == 0) ? "" : s;
}

int
address_queue_id_ok(const char *id)
{
	size_t n = strspn(id, ADDRESS_QUEUE_ID_CHARS);

	return n > 0 && n < 256 && id[n] == '\0';
}
