/* SPDX-License-Identifier: ISC */
/*
 * mimeword.h - header field values as their reader sees them, and back.
 * A refusal notice shows the refused message's Subject and From to a
 * person: unfolded, RFC 2047 encoded words decoded (B and Q, any charset
 * iconv knows) and shown as UTF-8, with only what cannot be shown safely
 * escaped.  The notice's own header must stay 7-bit (Cyrus masks 8-bit
 * bytes in headers), so its fields are encoded again (RFC 2047 B, UTF-8).
 * Knows nothing of notices or of LMTP.
 */
#ifndef LMTPIQ_MIMEWORD_H
#define LMTPIQ_MIMEWORD_H

#include <stddef.h>

/* The longest field value taken from a header, in bytes. */
#define MIMEWORD_RAW_MAX 4096

/* The header line that starts at p (p < end): where it ends, at its
 * "\n" or at end; NULL when it is the empty line that ends the header
 * ("\n" or "\r\n" alone), or p is at end. */
const char *mimeword_header_line(const char *p, const char *end);

/* The value of the first field called name (no colon, case ignored) in
 * the header head[0..len), unfolded: every run of spaces, tabs and line
 * breaks is one space, none at either end.  Its length, or -1 when the
 * header has no such field. */
long mimeword_field(const char *head, size_t len, const char *name,
    char *out, size_t cap);

/* RFC 2047: the encoded words in raw[0..len) decoded into UTF-8, the
 * space between two adjacent words dropped (6.2), the bytes of adjacent
 * words in one charset joined before they are converted (a character may
 * be split between words).  Anything else, an encoded word that does not
 * decode (bad base64, a charset iconv does not know) included, is kept as
 * it is.  Returns the length written (out is not terminated). */
size_t mimeword_decode(const char *raw, size_t len, char *out, size_t cap);

/* text[0..len) as it may be shown to a person, into out (terminated):
 * valid UTF-8 as it is; C0 controls, DEL, the backslash and bytes that
 * are not valid UTF-8 as \xNN; C1 controls, bidi controls (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the line and
 * paragraph separators (U+2028, U+2029) as \u{XXXX}.  At most max
 * characters (an escape counts as the characters it shows), cut between
 * characters with "..." at the end. */
void mimeword_display(const char *text, size_t len, size_t max, char *out,
    size_t cap);

/* The longest field value mimeword_encode_header encodes, in bytes. */
#define MIMEWORD_VALUE_MAX 32768

/* A message's header (up to the empty line) with each field whose value
 * has 8-bit bytes, and the field called always (no colon, case ignored;
 * NULL for none) whatever its value, unfolded and encoded as RFC 2047 B
 * words in UTF-8, folded again; the rest, and the body, as they are.  A
 * reader decodes an encoded field once, so it shows exactly the text
 * that was encoded, encoded words in it included.  0, or -1 when out is
 * too small or a value is over MIMEWORD_VALUE_MAX. */
int mimeword_encode_header(const char *in, size_t len, const char *always,
    char *out, size_t cap, size_t *outlen);

#endif
