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

/* The bytes of a message's queue id on a log line and in TRACE, from -i
 * or the MTA's Received: line (Sendmail's and Postfix's ids are made of
 * them). */
#define ADDRESS_QUEUE_ID_CHARS "abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

/* 1 when id is a queue id: 1 to 255 ADDRESS_QUEUE_ID_CHARS. */
int address_queue_id_ok(const char *id);

/* NULL, or what makes the address unsafe to put inside <>. */
const char *address_problem(const char *a);

/* RFC 5321 4.1.2 quoting, read byte by byte from an address's start:
 * every walker over an address (the check above, LMTP's path, the
 * mailbox a notice is keyed by) goes through address_byte. */
struct address_quoting {
	int quoted;		/* inside a quoted string */
	int pair;		/* the byte before was a backslash quoting this one */
};
enum address_byte {
	AB_PLAIN,		/* outside quotes: an '@' or '>' means what it says */
	AB_QUOTED,		/* a byte of a quoted string (a quoted pair's too) */
	AB_MARK,		/* a quote mark, or the backslash of a quoted pair */
};
enum address_byte address_byte(struct address_quoting *q, unsigned char c);

#endif
