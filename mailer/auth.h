/* SPDX-License-Identifier: ISC */
/*
 * auth.h - SASL AUTH (RFC 4954) through libsasl2, after LHLO.  libsasl2
 * is loaded (sasl2.c) by the first auth_login, never before.
 */
#ifndef LMTPIQ_AUTH_H
#define LMTPIQ_AUTH_H

#include "config.h"
#include "lmtp.h"

/* Longest secret read from auth_password_file. */
#define AUTH_SECRET_MAX 1024

/* Authenticate as cfg->auth_user.  -1: l->err says why; every failure,
 * a wrong password included, is transient so the mail stays queued. */
int auth_login(struct lmtp *l, const struct config *cfg);

/* "libsasl2.so.2 (Cyrus SASL 2.1.28)" once an AUTH loaded it, else NULL. */
const char *auth_library(void);

#endif
