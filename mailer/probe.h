/* SPDX-License-Identifier: ISC */
/*
 * probe.h - lmtp-iq -n: what a delivery would find at each server in the
 * list, step by step, without delivering anything.
 */
#ifndef LMTPIQ_PROBE_H
#define LMTPIQ_PROBE_H

#include "config.h"

/* Report every server on stdout.  EX_OK only when each one could take a
 * delivery (a broken fallback is worth fixing before it is needed),
 * else EX_TEMPFAIL.  sender ("" for the null sender) is the -f given:
 * what its mail would carry is said in place of a notice's; NULL for
 * none. */
int probe_servers(const struct config *cfg, const char *sender,
    int verbose);

#endif
