/* SPDX-License-Identifier: ISC */
/*
 * fuzz_refusal - what a refused message and a template can make of a
 * refusal notice.  The input is a message head, then (after the first
 * NUL) a template.  The Subject taken from the head is printable ASCII
 * only, whatever the head holds; a template that passes the check,
 * filled in with that Subject as every value, has exactly the template's
 * line breaks: no value can add a line or a header field to the notice.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../mailer/log.h"
#include "../../mailer/refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count(const char *p, size_t n, char c)
{
	size_t k = 0;

	while (n-- > 0)
		k += *p++ == c;
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[65536];
	struct refusal_facts f;
	const char *head = (const char *)data, *nul;
	size_t hlen = size, tlen = 0, olen, i;
	const char *t = NULL;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		hlen = (size_t)(nul - head);
		t = nul + 1;
		tlen = size - hlen - 1;
	}
	memset(&f, 0, sizeof(f));
	refusal_subject(head, hlen, f.subject, sizeof(f.subject));
	if (memchr(f.subject, '\0', sizeof(f.subject)) == NULL)
		__builtin_trap();
	for (i = 0; f.subject[i]; i++)
		if ((unsigned char)f.subject[i] < 0x20 ||
		    (unsigned char)f.subject[i] > 0x7e)
			__builtin_trap();
	if (t == NULL || refusal_template_problem(t, tlen) != NULL)
		return 0;
	/* The head's own bytes as the sender and reply, escaped as
	 * refusal.c escapes them. */
	memcpy(f.sender, f.subject, sizeof(f.sender));
	memcpy(f.reply, f.subject, sizeof(f.reply));
	snprintf(f.size, sizeof(f.size), "%zu", hlen);
	f.user = f.subject;
	if (refusal_render(t, tlen, &f, out, sizeof(out), &olen) < 0)
		return 0;
	if (count(out, olen, '\n') != count(t, tlen, '\n') ||
	    count(out, olen, '\r') != count(t, tlen, '\r'))
		__builtin_trap();
	return 0;
}
