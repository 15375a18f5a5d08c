/* SPDX-License-Identifier: ISC */
/*
 * ossl.h - OpenSSL's libssl and libcrypto, loaded with dlopen when the
 * first STARTTLS needs them.  Most deliveries (a UNIX socket, tls = off,
 * a server without STARTTLS) never use TLS, and in argv mode every
 * delivery is a process of its own: mapping and relocating two large
 * libraries at each start cost more than the delivery itself.
 *
 * tls.c is the only user.  It defines OSSL_REDIRECT before including
 * this file, so that its calls (and the calls OpenSSL's own macros
 * expand to) go through the table that ossl_load fills.
 */
#ifndef LMTPIQ_OSSL_H
#define LMTPIQ_OSSL_H

#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* The library's file name: its soname, for the ABI built against. */
#define OSSL_STR2(x) #x
#define OSSL_STR(x) OSSL_STR2(x)
#define OSSL_LIBSSL "libssl.so." OSSL_STR(OPENSSL_VERSION_MAJOR)

/* Every OpenSSL function lmtp-iq calls (nm -u mailer/tls.o). */
#define OSSL_FUNCS(X) \
	X(BIO_free) \
	X(BIO_new_fd) \
	X(ERR_clear_error) \
	X(ERR_error_string_n) \
	X(ERR_peek_last_error) \
	X(EVP_PKEY_free) \
	X(OPENSSL_sk_num) \
	X(OPENSSL_sk_pop_free) \
	X(OPENSSL_sk_value) \
	X(PEM_X509_INFO_read_bio) \
	X(PEM_read_bio_PrivateKey) \
	X(PEM_read_bio_X509) \
	X(PEM_read_bio_X509_AUX) \
	X(SSL_CIPHER_get_bits) \
	X(SSL_CIPHER_get_name) \
	X(SSL_CTX_check_private_key) \
	X(SSL_CTX_ctrl) \
	X(SSL_CTX_free) \
	X(SSL_CTX_get_cert_store) \
	X(SSL_CTX_load_verify_locations) \
	X(SSL_CTX_new) \
	X(SSL_CTX_set_default_verify_paths) \
	X(SSL_CTX_set_verify) \
	X(SSL_CTX_use_PrivateKey) \
	X(SSL_CTX_use_certificate) \
	X(SSL_connect) \
	X(SSL_ctrl) \
	X(SSL_free) \
	X(SSL_get0_param) \
	X(SSL_get1_peer_certificate) \
	X(SSL_get_current_cipher) \
	X(SSL_get_error) \
	X(SSL_get_ex_data) \
	X(SSL_get_ex_data_X509_STORE_CTX_idx) \
	X(SSL_get_verify_result) \
	X(SSL_get_version) \
	X(SSL_new) \
	X(SSL_peek) \
	X(SSL_read) \
	X(SSL_set1_host) \
	X(SSL_set_ex_data) \
	X(SSL_set_fd) \
	X(SSL_set_hostflags) \
	X(SSL_write) \
	X(TLS_client_method) \
	X(X509_INFO_free) \
	X(X509_NAME_oneline) \
	X(X509_STORE_CTX_get0_cert) \
	X(X509_STORE_CTX_get_ex_data) \
	X(X509_STORE_add_cert) \
	X(X509_STORE_add_crl) \
	X(X509_VERIFY_PARAM_set1_ip_asc) \
	X(X509_free) \
	X(X509_get_issuer_name) \
	X(X509_get_subject_name) \
	X(X509_verify_cert_error_string) \
	X(OpenSSL_version)

struct ossl_table {
#define OSSL_MEMBER(f) __typeof__(f) *p_##f;
	OSSL_FUNCS(OSSL_MEMBER)
#undef OSSL_MEMBER
};

extern struct ossl_table ossl;

/* Load the libraries and take every function once.  0, or -1 with err
 * naming the library or the missing function.  Later calls return what
 * the first one did. */
int ossl_load(char *err, size_t cap);

/* "libssl.so.3 (OpenSSL 3.0.19 ...)" once loaded, else NULL. */
const char *ossl_loaded(void);

#ifdef OSSL_REDIRECT
#define BIO_free (*ossl.p_BIO_free)
#define BIO_new_fd (*ossl.p_BIO_new_fd)
#define ERR_clear_error (*ossl.p_ERR_clear_error)
#define ERR_error_string_n (*ossl.p_ERR_error_string_n)
#define ERR_peek_last_error (*ossl.p_ERR_peek_last_error)
#define EVP_PKEY_free (*ossl.p_EVP_PKEY_free)
#define OPENSSL_sk_num (*ossl.p_OPENSSL_sk_num)
#define OPENSSL_sk_pop_free (*ossl.p_OPENSSL_sk_pop_free)
#define OPENSSL_sk_value (*ossl.p_OPENSSL_sk_value)
#define PEM_X509_INFO_read_bio (*ossl.p_PEM_X509_INFO_read_bio)
#define PEM_read_bio_PrivateKey (*ossl.p_PEM_read_bio_PrivateKey)
#define PEM_read_bio_X509 (*ossl.p_PEM_read_bio_X509)
#define PEM_read_bio_X509_AUX (*ossl.p_PEM_read_bio_X509_AUX)
#define SSL_CIPHER_get_bits (*ossl.p_SSL_CIPHER_get_bits)
#define SSL_CIPHER_get_name (*ossl.p_SSL_CIPHER_get_name)
#define SSL_CTX_check_private_key (*ossl.p_SSL_CTX_check_private_key)
#define SSL_CTX_ctrl (*ossl.p_SSL_CTX_ctrl)
#define SSL_CTX_free (*ossl.p_SSL_CTX_free)
#define SSL_CTX_get_cert_store (*ossl.p_SSL_CTX_get_cert_store)
#define SSL_CTX_load_verify_locations (*ossl.p_SSL_CTX_load_verify_locations)
#define SSL_CTX_new (*ossl.p_SSL_CTX_new)
#define SSL_CTX_set_default_verify_paths (*ossl.p_SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_verify (*ossl.p_SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey (*ossl.p_SSL_CTX_use_PrivateKey)
#define SSL_CTX_use_certificate (*ossl.p_SSL_CTX_use_certificate)
#define SSL_connect (*ossl.p_SSL_connect)
#define SSL_ctrl (*ossl.p_SSL_ctrl)
#define SSL_free (*ossl.p_SSL_free)
#define SSL_get0_param (*ossl.p_SSL_get0_param)
#define SSL_get1_peer_certificate (*ossl.p_SSL_get1_peer_certificate)
#define SSL_get_current_cipher (*ossl.p_SSL_get_current_cipher)
#define SSL_get_error (*ossl.p_SSL_get_error)
#define SSL_get_ex_data (*ossl.p_SSL_get_ex_data)
#define SSL_get_ex_data_X509_STORE_CTX_idx (*ossl.p_SSL_get_ex_data_X509_STORE_CTX_idx)
#define SSL_get_verify_result (*ossl.p_SSL_get_verify_result)
#define SSL_get_version (*ossl.p_SSL_get_version)
#define SSL_new (*ossl.p_SSL_new)
#define SSL_peek (*ossl.p_SSL_peek)
#define SSL_read (*ossl.p_SSL_read)
#define SSL_set1_host (*ossl.p_SSL_set1_host)
#define SSL_set_ex_data (*ossl.p_SSL_set_ex_data)
#define SSL_set_fd (*ossl.p_SSL_set_fd)
#define SSL_set_hostflags (*ossl.p_SSL_set_hostflags)
#define SSL_write (*ossl.p_SSL_write)
#define TLS_client_method (*ossl.p_TLS_client_method)
#define X509_INFO_free (*ossl.p_X509_INFO_free)
#define X509_NAME_oneline (*ossl.p_X509_NAME_oneline)
#define X509_STORE_CTX_get0_cert (*ossl.p_X509_STORE_CTX_get0_cert)
#define X509_STORE_CTX_get_ex_data (*ossl.p_X509_STORE_CTX_get_ex_data)
#define X509_STORE_add_cert (*ossl.p_X509_STORE_add_cert)
#define X509_STORE_add_crl (*ossl.p_X509_STORE_add_crl)
#define X509_VERIFY_PARAM_set1_ip_asc (*ossl.p_X509_VERIFY_PARAM_set1_ip_asc)
#define X509_free (*ossl.p_X509_free)
#define X509_get_issuer_name (*ossl.p_X509_get_issuer_name)
#define X509_get_subject_name (*ossl.p_X509_get_subject_name)
#define X509_verify_cert_error_string (*ossl.p_X509_verify_cert_error_string)
#define OpenSSL_version (*ossl.p_OpenSSL_version)
#endif

#endif
