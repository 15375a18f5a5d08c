/* SPDX-License-Identifier: ISC */
/*
 * mailbox.h - which mailbox a recipient address names, and its domain:
 * the rules refusal notices key their one-per-interval state by.
 */
#ifndef LMTPIQ_MAILBOX_H
#define LMTPIQ_MAILBOX_H

#include <stddef.h>

/* The longest local part a key is made from. */
#define MAILBOX_LOCAL_MAX 256

/* The mailbox addr names, as a key and as an address.  RFC 5321 4.1.2:
 * "alice" and alice are one mailbox, so the local part is taken out of
 * its quotes first; then +detail goes (in or out of quotes: the same
 * mailbox to Cyrus) and the domain stays (virtdomains).  The key is
 * that, lower case: alice, Alice, "alice" and alice+x share it.  The
 * address is the same mailbox to send to, its local part quoted again
 * when it is not a dot-string.  0, or -1 when it does not fit or is no
 * address. */
int mailbox_key(const char *addr, char *key, size_t keycap, char *to,
    size_t tocap);

/* The domain of an address, or NULL: what follows its last "@", if that
 * is not inside a quoted local part. */
const char *mailbox_domain(const char *addr);

#endif
