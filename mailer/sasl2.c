/* SPDX-License-Identifier: ISC */
/*
 * sasl2.c - dlopen libsasl2 on first use and fill the function table.
 * See sasl2.h for why.
 */
#define _DEFAULT_SOURCE
#include "sasl2.h"
#include "dynlib.h"

#include <stdio.h>

struct sasl2_table sasl2;

static struct dynlib lib = { .soname = SASL2_LIB, .purpose = "AUTH" };

int
sasl2_load(char *err, size_t cap)
{
	const char *impl = NULL, *ver = NULL;
	char version[200];

	if (lib.state == 0 && dynlib_open(&lib) == 0) {
#define SASL2_LOAD(f) \
		if ((sasl2.p_##f = (__typeof__(f) *)dynlib_sym(&lib, #f)) == \
		    NULL) \
			return dynlib_result(&lib, err, cap);
		SASL2_FUNCS(SASL2_LOAD)
#undef SASL2_LOAD
		sasl2.p_sasl_version_info(&impl, &ver, NULL, NULL, NULL, NULL);
		snprintf(version, sizeof(version), "%s %s", impl ? impl : "?",
		    ver ? ver : "?");
		dynlib_done(&lib, version);
	}
	return dynlib_result(&lib, err, cap);
}

const char *
sasl2_loaded(void)
{
	return dynlib_loaded(&lib);
}
