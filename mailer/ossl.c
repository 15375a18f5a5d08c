/* SPDX-License-Identifier: ISC */
/*
 * ossl.c - dlopen libssl (which brings libcrypto) on first use and fill
 * the function table.  See ossl.h for why.
 */
#define _DEFAULT_SOURCE
#include "ossl.h"
#include "dynlib.h"

struct ossl_table ossl;

static struct dynlib lib = { .soname = OSSL_LIBSSL, .purpose = "TLS" };

int
ossl_load(char *err, size_t cap)
{
	if (lib.state == 0 && dynlib_open(&lib) == 0) {
#define OSSL_LOAD(f) \
		if ((ossl.p_##f = (__typeof__(f) *)dynlib_sym(&lib, #f)) == \
		    NULL) \
			return dynlib_result(&lib, err, cap);
		OSSL_FUNCS(OSSL_LOAD)
#undef OSSL_LOAD
		dynlib_done(&lib, ossl.p_OpenSSL_version(OPENSSL_VERSION));
	}
	return dynlib_result(&lib, err, cap);
}

const char *
ossl_loaded(void)
{
	return dynlib_loaded(&lib);
}
