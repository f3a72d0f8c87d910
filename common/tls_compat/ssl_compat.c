/* libssl.so (this SONAME) for CivetWeb.
 *
 * Debian 12's CivetWeb 1.15 loads OpenSSL at run time with dlopen("libssl.so") and looks up the
 * OpenSSL 1.1 function names, one of which OpenSSL 3 renamed (SSL_get_peer_certificate, now
 * SSL_get1_peer_certificate). Its pointer stays NULL and the first TLS handshake jumps to 0.
 * The daemons link this library, so it is already loaded when CivetWeb calls dlopen; glibc
 * matches the name against this SONAME, and dlsym finds every other name in its dependency,
 * the real libssl.so.3. It also makes TLS work where the unversioned libssl.so link (from
 * libssl-dev) is not installed. */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s);
X509 *SSL_get_peer_certificate(const SSL *s) { return SSL_get1_peer_certificate(s); }
