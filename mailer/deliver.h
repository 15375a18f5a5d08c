/* SPDX-License-Identifier: ISC */
/*
 * deliver.h - argv mode: one message from stdin to the recipients on the
 * command line.
 */
#ifndef LMTPIQ_DELIVER_H
#define LMTPIQ_DELIVER_H

#include "config.h"

/* The envelope's addresses are safe to write into a command: 0, or
 * EX_DATAERR with one line on stderr (nothing is sent then). */
int deliver_check(const char *sender, char **rcpts, int nrcpts);

/* Deliver stdin; the sysexits(3) code for Sendmail.  sender NULL, ""
 * or "<>" is the null sender; qid (the MTA's queue id, -i) or NULL
 * names the message on the log. */
int deliver_argv(const struct config *cfg, const char *sender,
    const char *qid, char **rcpts, int nrcpts, int verbose);

#endif
