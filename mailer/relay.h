/* SPDX-License-Identifier: ISC */
/*
 * relay.h - LMTP mode (-l): Sendmail speaks LMTP to us on stdin and
 * stdout, and each transaction is relayed to the LMTP server with
 * IGNOREQUOTA as the policy says, each recipient answered with the
 * server's own reply.
 */
#ifndef LMTPIQ_RELAY_H
#define LMTPIQ_RELAY_H

#include "config.h"

/* Serve until QUIT or the end of input.  Returns the exit status: 0, or
 * EX_TEMPFAIL when the session ended abnormally. */
int relay_serve(const struct config *cfg, int verbose);

/* Lmtp-iq cannot serve (its configuration is wrong): greet the client
 * with 421 and why, so that Sendmail logs the reason and keeps the mail
 * queued.  Returns EX_TEMPFAIL. */
int relay_refuse(const struct config *cfg, const char *why);

#endif
