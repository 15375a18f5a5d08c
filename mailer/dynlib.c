/* SPDX-License-Identifier: ISC */
/*
 * dynlib.c - dlopen once, and remember how it went.
 */
#define _DEFAULT_SOURCE
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

int
dynlib_open(struct dynlib *d)
{
	d->state = -1;
	/* RTLD_LOCAL: its symbols stay out of everyone else's way. */
	d->handle = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (d->handle == NULL) {
		snprintf(d->why, sizeof(d->why), "cannot load %s for %s: %s",
		    d->soname, d->purpose, dlerror());
		return -1;
	}
	return 0;
}

void *
dynlib_sym(struct dynlib *d, const char *name)
{
	void *p = dlsym(d->handle, name);

	if (p == NULL) {
		snprintf(d->why, sizeof(d->why), "%s has no %s: %s", d->soname,
		    name, dlerror());
		d->state = -1;
	}
	return p;
}

void
dynlib_done(struct dynlib *d, const char *version)
{
	snprintf(d->loaded, sizeof(d->loaded), "%s (%s)", d->soname, version);
	d->state = 1;
}

int
dynlib_result(const struct dynlib *d, char *err, size_t cap)
{
	if (d->state < 0)
		snprintf(err, cap, "%s", d->why);
	return d->state > 0 ? 0 : -1;
}

const char *
dynlib_loaded(const struct dynlib *d)
{
	return d->state > 0 ? d->loaded : NULL;
}
