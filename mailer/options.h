/* SPDX-License-Identifier: ISC */
/*
 * options.h - the command line: which mode, and what overrides the
 * config.  A mistake in it is the postmaster's when Sendmail runs us
 * (75: the mail stays queued until the A= line is fixed) and a person's
 * under -n (64).
 */
#ifndef LMTPIQ_OPTIONS_H
#define LMTPIQ_OPTIONS_H

#include "config.h"

struct options {
	const char *config_file;
	int config_required;
	char servers[CONFIG_VALUE_MAX];	/* each -s, in order */
	const char *sender;
	const char *qid;	/* -i: the MTA's queue id, for the log */
	const char *policy;	/* -q, checked by its row; NULL: not given */
	const char *timeout;	/* -t, the same */
	int verbose;
	int check;
	int lmtp;		/* -l: speak LMTP on stdin and stdout */
	int local;		/* -L: Sendmail's local mailer */
	char **rcpts;
	int nrcpts;
};

/* argv into o.  0, or an exit status for main to return; *done when
 * there is nothing more to do (-V, -h: EX_OK). */
int options_parse(int argc, char **argv, struct options *o, int *done);

#endif
