/* SPDX-License-Identifier: ISC */
/*
 * mailbox.c - which mailbox a recipient address names (RFC 5321 4.1.2
 * quoting, +detail), for the one-notice-per-user rule, and its domain.
 */
#include "mailbox.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "address.h"

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

/* The "@" that ends the local part: the last one outside quotes, or
 * NULL. */
static const char *
last_at(const char *addr)
{
	struct address_quoting q = { 0 };
	const char *p, *at = NULL;

	for (p = addr; *p; p++)
		if (address_byte(&q, (unsigned char)*p) == AB_PLAIN && *p == '@')
			at = p;
	return at;
}

int
mailbox_key(const char *addr, char *key, size_t keycap, char *to,
    size_t tocap)
{
	char local[MAILBOX_LOCAL_MAX];
	struct address_quoting q = { 0 };
	enum address_byte b;
	const char *p, *domain = last_at(addr);
	size_t n = 0, i, o = 0;
	int plain = 0, marks = 0;

	if (domain == NULL)
		domain = addr + strlen(addr);
	/* The local part's bytes, out of their quotes. */
	for (p = addr; p < domain; p++) {
		if ((b = address_byte(&q, (unsigned char)*p)) == AB_MARK) {
			marks = 1;
			continue;
		}
		plain |= b == AB_PLAIN;
		if (n + 1 >= sizeof(local))
			return -1;
		local[n++] = *p;
	}
	/* A quoted local part is one quoted string, the whole of it. */
	if (q.quoted || (marks && plain))
		return -1;
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

const char *
mailbox_domain(const char *addr)
{
	const char *at = last_at(addr);

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}
