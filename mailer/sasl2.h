/* SPDX-License-Identifier: ISC */
/*
 * sasl2.h - Cyrus SASL's libsasl2, loaded with dlopen by the first
 * delivery that authenticates.  Most deliveries (the UNIX socket, a
 * preauthorised port) never send AUTH, and in argv mode every delivery
 * is a process of its own: on Debian 13 libsasl2 brings libcrypto, libz
 * and libzstd, and mapping and relocating them at every start cost more
 * than the delivery itself.  The same reasoning as ossl.h's.
 *
 * auth.c is the only user.  It defines SASL2_REDIRECT before including
 * this file, so that its calls go through the table sasl2_load fills.
 */
#ifndef LMTPIQ_SASL2_H
#define LMTPIQ_SASL2_H

#include <stddef.h>

#include <sasl/sasl.h>
#include <sasl/saslutil.h>

/* The library's soname: the ABI the headers describe. */
#define SASL2_LIB "libsasl2.so.2"

/* Every libsasl2 function lmtp-iq calls (nm -u mailer/auth.o). */
#define SASL2_FUNCS(X) \
	X(sasl_client_done) \
	X(sasl_client_init) \
	X(sasl_client_new) \
	X(sasl_client_start) \
	X(sasl_client_step) \
	X(sasl_decode64) \
	X(sasl_dispose) \
	X(sasl_encode64) \
	X(sasl_errdetail) \
	X(sasl_setprop) \
	X(sasl_version_info)

struct sasl2_table {
#define SASL2_MEMBER(f) __typeof__(f) *p_##f;
	SASL2_FUNCS(SASL2_MEMBER)
#undef SASL2_MEMBER
};

extern struct sasl2_table sasl2;

/* Load the library and take every function once.  0, or -1 with err
 * naming the library or the missing function.  Later calls return what
 * the first one did. */
int sasl2_load(char *err, size_t cap);

/* "libsasl2.so.2 (Cyrus SASL 2.1.28)" once loaded, else NULL. */
const char *sasl2_loaded(void);

#ifdef SASL2_REDIRECT
#define sasl_client_done (*sasl2.p_sasl_client_done)
#define sasl_client_init (*sasl2.p_sasl_client_init)
#define sasl_client_new (*sasl2.p_sasl_client_new)
#define sasl_client_start (*sasl2.p_sasl_client_start)
#define sasl_client_step (*sasl2.p_sasl_client_step)
#define sasl_decode64 (*sasl2.p_sasl_decode64)
#define sasl_dispose (*sasl2.p_sasl_dispose)
#define sasl_encode64 (*sasl2.p_sasl_encode64)
#define sasl_errdetail (*sasl2.p_sasl_errdetail)
#define sasl_setprop (*sasl2.p_sasl_setprop)
#define sasl_version_info (*sasl2.p_sasl_version_info)
#endif

#endif
