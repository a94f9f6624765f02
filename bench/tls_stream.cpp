#include "tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <csignal>

namespace bench {
namespace {

ssize_t failure(SSL* ssl, int rc) {
  const int reason = SSL_get_error(ssl, rc);
  ERR_clear_error();
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  if (reason == SSL_ERROR_ZERO_RETURN) return 0;
  errno = ECONNRESET;
  return -1;
}

}  // namespace

SSL_CTX* make_tls_server_context(const std::string& certificate_pem, const std::string& key_pem,
                                 std::string* error) {
  // OpenSSL writes with write(), not send(MSG_NOSIGNAL): a client hanging up must not kill
  // the process.
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* cert_bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  const bool ok = ctx && cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  ERR_clear_error();
  if (!ok) {
    if (ctx) SSL_CTX_free(ctx);
    if (error) *error = "the TLS certificate or key does not load";
    return nullptr;
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

SSL* accept_tls(SSL_CTX* ctx, int fd) {
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

ssize_t tls_read(SSL* ssl, char* buf, std::size_t size) {
  std::size_t got = 0;
  const int rc = SSL_read_ex(ssl, buf, size, &got);
  return rc == 1 ? static_cast<ssize_t>(got) : failure(ssl, rc);
}

ssize_t tls_write(SSL* ssl, const char* data, std::size_t size) {
  std::size_t sent = 0;
  const int rc = SSL_write_ex(ssl, data, size, &sent);
  return rc == 1 ? static_cast<ssize_t>(sent) : failure(ssl, rc);
}

}  // namespace bench
