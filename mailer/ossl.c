/* SPDX-License-Identifier: ISC */
/*
 * ossl.c - dlopen libssl (which brings libcrypto) on first use and fill
 * the function table.  See ossl.h for why.
 */
#define _DEFAULT_SOURCE
#include "ossl.h"

#include <dlfcn.h>
#include <stdio.h>

struct ossl_table ossl;

static int state;		/* 0 not tried, 1 loaded, -1 failed */
static char why[300];
static char loaded[300];

int
ossl_load(char *err, size_t cap)
{
	void *h;

	if (state == 0) {
		state = -1;
		/* RTLD_NOW: a missing function shows here, not mid-handshake. */
		if ((h = dlopen(OSSL_LIBSSL, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			snprintf(why, sizeof(why), "cannot load %s for TLS: %s",
			    OSSL_LIBSSL, dlerror());
			goto out;
		}
#define OSSL_LOAD(f) \
		if ((ossl.p_##f = (__typeof__(f) *)dlsym(h, #f)) == NULL) { \
			snprintf(why, sizeof(why), "%s has no %s: %s", \
			    OSSL_LIBSSL, #f, dlerror()); \
			goto out; \
		}
		OSSL_FUNCS(OSSL_LOAD)
#undef OSSL_LOAD
		snprintf(loaded, sizeof(loaded), "%s (%s)", OSSL_LIBSSL,
		    ossl.p_OpenSSL_version(OPENSSL_VERSION));
		state = 1;
	}
out:
	if (state < 0)
		snprintf(err, cap, "%s", why);
	return state > 0 ? 0 : -1;
}

const char *
ossl_loaded(void)
{
	return state > 0 ? loaded : NULL;
}
