/* libcrypto.so (this SONAME) for CivetWeb, which loads OpenSSL's crypto library with
 * dlopen("libcrypto.so"): every name it looks up is found in this library's dependency, the
 * real libcrypto.so.3 (see ssl_compat.c). */
#include <openssl/crypto.h>

unsigned long slurm_exporter_crypto_compat_version(void);
unsigned long slurm_exporter_crypto_compat_version(void) { return OpenSSL_version_num(); }
