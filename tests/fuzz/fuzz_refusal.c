/* SPDX-License-Identifier: ISC */
/*
 * fuzz_refusal - what a refused message and a template can make of a
 * refusal notice.  The input is a message head, then (after the first
 * NUL) a template.  The Subject and From taken from the head, decoded
 * (RFC 2047) and shown (mimeword.c), are valid UTF-8 with no control
 * character, no bidi control and no line separator, at most 200
 * characters, whatever the head holds; so is the head's whole text
 * decoded and shown.  A template that passes the check, filled in with
 * those values, has exactly the template's line breaks (no value can
 * add a line), and with its 8-bit fields encoded its header is 7-bit
 * and has the template's fields, no more.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../mailer/log.h"
#include "../../mailer/mimeword.h"
#include "../../mailer/refusal.h"
#include "../unit/shown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count(const char *p, size_t n, char c)
{
	size_t k = 0;

	while (n-- > 0)
		k += *p++ == c;
	return k;
}

/* Header fields in p[0..n): lines up to the empty one that do not
 * start with a space or tab. */
static size_t
fields(const char *p, size_t n)
{
	const char *end = p + n, *eol;
	size_t k = 0;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break;
		k += *p != ' ' && *p != '\t';
	}
	return k;
}

/* Traps unless s is what a person may be shown (shown.h). */
static void
check_shown(const char *s, size_t max)
{
	if (!shown_ok(s, max))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[65536], enc[2 * 65536], text[4 * 65536];
	static char shown[8192];
	struct notice_facts f;
	const char *head = (const char *)data, *nul;
	size_t hlen = size, tlen = 0, olen, elen, dlen, i, line;
	const char *t = NULL;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		hlen = (size_t)(nul - head);
		t = nul + 1;
		tlen = size - hlen - 1;
	}
	memset(&f, 0, sizeof(f));
	notice_subject(head, hlen, f.subject, sizeof(f.subject));
	check_shown(f.subject, 200);
	notice_from(head, hlen, "sender@example.org", f.from, sizeof(f.from));
	check_shown(f.from, 200);
	/* The decoder on the whole head, as any field's raw value. */
	dlen = mimeword_decode(head, hlen < 16384 ? hlen : 16384, text,
	    sizeof(text));
	mimeword_display(text, dlen, 1000, shown, sizeof(shown));
	check_shown(shown, 1000);
	if (t == NULL || notice_template_problem(t, tlen, &line) != NULL)
		return 0;
	memcpy(f.sender, f.subject, sizeof(f.sender));
	memcpy(f.reply, f.from, sizeof(f.reply));
	snprintf(f.size, sizeof(f.size), "%zu bytes", hlen);
	snprintf(f.bytes, sizeof(f.bytes), "%zu", hlen);
	f.user = f.subject;
	if (notice_render(t, tlen, &f, out, sizeof(out), &olen) < 0)
		return 0;
	if (count(out, olen, '\n') != count(t, tlen, '\n') ||
	    count(out, olen, '\r') != count(t, tlen, '\r'))
		__builtin_trap();
	if (mimeword_encode_header(out, olen, "Subject", enc, sizeof(enc), &elen) < 0)
		return 0;
	if (fields(enc, elen) != fields(t, tlen))
		__builtin_trap();
	for (i = 0; i < elen; i++) {
		if (enc[i] == '\n' && (i + 1 == elen || enc[i + 1] == '\n' ||
		    (enc[i + 1] == '\r' && i + 2 < elen && enc[i + 2] == '\n')))
			break;	/* the body may be 8-bit */
		if ((unsigned char)enc[i] >= 0x80)
			__builtin_trap();
	}
	return 0;
}
