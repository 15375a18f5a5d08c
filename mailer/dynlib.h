/* SPDX-License-Identifier: ISC */
/*
 * dynlib.h - a library loaded with dlopen on first use, once per
 * process: the first try's outcome (loaded, or why not) is kept and
 * returned to every later caller.  ossl.c (libssl) and sasl2.c
 * (libsasl2) fill their function tables through it.
 */
#ifndef LMTPIQ_DYNLIB_H
#define LMTPIQ_DYNLIB_H

#include <stddef.h>

struct dynlib {
	const char *soname;	/* "libssl.so.3" */
	const char *purpose;	/* "TLS": said when it cannot be loaded */
	int state;		/* 0 not tried, 1 loaded, -1 failed */
	void *handle;		/* kept open for the process's life */
	char why[300];
	char loaded[300];	/* soname and the library's own version */
};

/* Open d's library (RTLD_NOW: a missing dependency shows here, not
 * mid-session).  Call only while d->state is 0: 0, or -1 with d->why. */
int dynlib_open(struct dynlib *d);

/* The symbol, or NULL with d->why naming it and d->state -1. */
void *dynlib_sym(struct dynlib *d, const char *name);

/* Mark d loaded, with its version as the library states it. */
void dynlib_done(struct dynlib *d, const char *version);

/* What the first try gave: 0, or -1 with err copied from d->why. */
int dynlib_result(const struct dynlib *d, char *err, size_t cap);

/* "soname (version)" once loaded, else NULL. */
const char *dynlib_loaded(const struct dynlib *d);

#endif
