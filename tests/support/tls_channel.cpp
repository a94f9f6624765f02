#include "support/tls_channel.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace axon::test {
namespace {

BIO* memory_bio(const std::string& text) {
  return BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
}

}  // namespace

Channel::~Channel() {
  if (ssl_) SSL_free(ssl_);
}

ssize_t Channel::read(char* data, std::size_t size) {
  if (!ssl_) {
    while (true) {
      const ssize_t n = ::recv(fd_, data, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }
  std::size_t got = 0;
  if (SSL_read_ex(ssl_, data, size, &got) == 1) return static_cast<ssize_t>(got);
  return SSL_get_error(ssl_, 0) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

bool Channel::write_all(std::string_view data) {
  while (!data.empty()) {
    std::size_t sent = 0;
    if (ssl_) {
      if (SSL_write_ex(ssl_, data.data(), data.size(), &sent) != 1) return false;
    } else {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent = static_cast<std::size_t>(n);
    }
    data.remove_prefix(sent);
  }
  return true;
}

bool Channel::session_reused() const { return ssl_ && SSL_session_reused(ssl_) == 1; }

std::string Channel::peer_subject() const {
  if (!ssl_) return {};
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (!peer) return {};
  char* line = X509_NAME_oneline(X509_get_subject_name(peer), nullptr, 0);
  std::string subject = line ? line : "";
  OPENSSL_free(line);
  X509_free(peer);
  return subject;
}

TlsServerContext::TlsServerContext(const TlsReceiverOptions& options)
    : ctx_(SSL_CTX_new(TLS_server_method())),
      close_during_handshake_(options.close_during_handshake) {
  if (!ctx_) throw std::runtime_error("tls receiver: SSL_CTX_new failed");
  // OpenSSL writes with write(), not send(MSG_NOSIGNAL): a client that hangs up mid-handshake
  // must not kill the test binary.
  std::signal(SIGPIPE, SIG_IGN);
  BIO* certs = memory_bio(options.certificate_pem);
  X509* leaf = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr);
  const bool leaf_ok = leaf && SSL_CTX_use_certificate(ctx_, leaf) == 1;
  X509_free(leaf);
  while (X509* extra = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr)) {
    SSL_CTX_add_extra_chain_cert(ctx_, extra);  // takes ownership
  }
  BIO_free(certs);
  BIO* key_bio = memory_bio(options.key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  const bool key_ok = key && SSL_CTX_use_PrivateKey(ctx_, key) == 1;
  EVP_PKEY_free(key);
  BIO_free(key_bio);
  ERR_clear_error();
  if (!leaf_ok || !key_ok) {
    SSL_CTX_free(ctx_);
    throw std::runtime_error("tls receiver: bad certificate or key PEM");
  }
  if (options.client_ca_pem) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    BIO* ca = memory_bio(*options.client_ca_pem);
    while (X509* cert = PEM_read_bio_X509(ca, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);
      X509_free(cert);
    }
    BIO_free(ca);
    ERR_clear_error();
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Resumption needs a session id context once client certificates are verified.
  static const unsigned char kContext[] = "axon-test-receiver";
  SSL_CTX_set_session_id_context(ctx_, kContext, sizeof kContext - 1);
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

bool TlsServerContext::handshake(Channel& channel) const {
  if (close_during_handshake_) {
    char hello[512];
    (void)::recv(channel.fd(), hello, sizeof hello, 0);  // the ClientHello, then nothing
    return false;
  }
  channel.ssl_ = SSL_new(ctx_);
  if (!channel.ssl_) return false;
  SSL_set_fd(channel.ssl_, channel.fd());
  const bool ok = SSL_accept(channel.ssl_) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace axon::test
