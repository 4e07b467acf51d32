#ifndef SESSIONCTL_COPENSSL_SHIM_H
#define SESSIONCTL_COPENSSL_SHIM_H

/* OpenSSL 3 (libssl-dev), for TLS underneath hiredis's reader and formatter.
 * Function-like macros cannot be called from Swift, so they are wrapped here. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

static inline int sessionctl_ssl_ctx_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

static inline long sessionctl_ssl_ctx_set_modes(SSL_CTX *ctx) {
    return SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
}

static inline int sessionctl_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* Remembers, per connection, that the server asked for a client certificate we do not
 * have: with TLS 1.3 the server's refusal arrives after the handshake and is often lost
 * to a connection reset, so this is how the error can still name the cause. */
static int sessionctl_client_certificate_callback(SSL *ssl, X509 **x509, EVP_PKEY **pkey) {
    (void)x509; (void)pkey;
    SSL_set_app_data(ssl, (void *)1); /* ex_data slot 0, the application's own */
    return 0;
}

static inline void sessionctl_watch_certificate_requests(SSL_CTX *ctx) {
    SSL_CTX_set_client_cert_cb(ctx, sessionctl_client_certificate_callback);
}

static inline int sessionctl_certificate_was_requested(SSL *ssl) {
    return SSL_get_app_data(ssl) != NULL;
}

#endif
