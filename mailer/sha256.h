/* SPDX-License-Identifier: ISC */
/*
 * sha256.h - SHA-256 (FIPS 180-4), for names that must be short, stable
 * from process to process and not made to collide: a refusal notice's
 * state file for a user name too long to spell out.
 */
#ifndef LMTPIQ_SHA256_H
#define LMTPIQ_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32

/* The digest of data[0..len) into out. */
void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

#endif
