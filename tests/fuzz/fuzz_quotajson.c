/* SPDX-License-Identifier: ISC */
/*
 * fuzz_quotajson - the quota -J reader on any bytes: it reads a report
 * or says where and why not; every root and resource name it hands on
 * is a terminated string without a control byte, and every figure is
 * non-negative (a limit may be -1: none).
 */
#include <stdint.h>
#include <string.h>

#include "../../mailer/quotajson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(const struct quota_entry *e, void *arg)
{
	const char *s[2] = { e->root, e->resource };
	int i;

	(void)arg;
	for (i = 0; i < 2; i++)
		for (const unsigned char *p = (const unsigned char *)s[i]; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				__builtin_trap();
	if (strlen(e->root) >= QUOTAJSON_NAME_MAX || e->used < 0 ||
	    e->limit < -1)
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	why[0] = '\0';
	if (quotajson_walk((const char *)data, size, check, NULL, why,
	    sizeof(why)) != 0 && why[0] == '\0')
		__builtin_trap();	/* a failure always says why */
	return 0;
}
