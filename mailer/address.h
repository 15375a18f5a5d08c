/* SPDX-License-Identifier: ISC */
/*
 * address.h - whether an envelope address can go on the wire as it is,
 * whichever way it came (argv or an LMTP command from Sendmail).
 */
#ifndef LMTPIQ_ADDRESS_H
#define LMTPIQ_ADDRESS_H

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define ADDRESS_MAX 254

/* The envelope sender as given on the command line (-f): missing,
 * empty or "<>" is the null sender, "". */
const char *address_envelope_sender(const char *s);

/* The bytes of a message's queue id on a log line, in XFORWARD IDENT
 * and in TRACE (Sendmail's and Postfix's ids are made of them). */
#define ADDRESS_QUEUE_ID_CHARS "abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

/* 1 when id is a queue id: 1 to 255 ADDRESS_QUEUE_ID_CHARS. */
int address_queue_id_ok(const char *id);

/* NULL, or what makes the address unsafe to put inside <>. */
const char *address_problem(const char *a);

#endif
