/* SPDX-License-Identifier: ISC */
/*
 * shown.h - whether a string is what a refusal notice may show a
 * person, read here by the tests' own reading of UTF-8 (RFC 3629), not
 * mimeword.c's: valid UTF-8, at most max characters, and none of the
 * code points lmtp-iq(8) and lmtp-iq.conf(5) list as escaped (C0 and C1
 * controls, DEL, bidi controls, line and paragraph separators, zero-width
 * characters, the byte order mark, tag characters).  For unit.c and
 * fuzz_refusal.c.
 */
#ifndef LMTPIQ_TEST_SHOWN_H
#define LMTPIQ_TEST_SHOWN_H

#include <stddef.h>

static int
shown_hidden(unsigned long c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    c == 0x61c || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) ||
	    c == 0x2028 || c == 0x2029 || c == 0xfeff ||
	    (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe0000 && c <= 0xe007f);
}

/* 1 when s may be shown as it is, else 0. */
static int
shown_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, len, i;
	unsigned long c;

	while (*p) {
		len = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 :
		    *p >= 0xc0 ? 2 : 0;
		if (len == 0 || *p > 0xf4 || (*p >= 0x80 && *p < 0xc2))
			return 0;
		c = len == 1 ? *p : *p & (0x7f >> len);
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
		    shown_hidden(c))
			return 0;
		p += len;
		chars++;
	}
	return chars <= max;
}

#endif
