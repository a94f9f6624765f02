#include "delivery/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>


namespace axon {
namespace {

// The SSL_CTX ex-data slot that points back to the transfer's notes.
int notes_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL asks for a client certificate only when the receiver requested one and none is
// configured on the connection; we note that and still present none.
int on_client_certificate_request(SSL* ssl, X509**, EVP_PKEY**) {
  auto* notes =
      static_cast<TlsConnectionNotes*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), notes_index()));
  if (notes) notes->client_certificate_requested = true;
  return 0;
}

CURLcode on_ssl_context(CURL*, void* ssl_ctx, void* user) {
  auto* notes = static_cast<TlsConnectionNotes*>(user);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (notes->extra_trust) notes->extra_trust->add_to(ctx);
  // libcurl makes one SSL_CTX per connection, set up by the transfer that opens it.
  SSL_CTX_set_ex_data(ctx, notes_index(), notes);
  SSL_CTX_set_client_cert_cb(ctx, &on_client_certificate_request);
  return CURLE_OK;
}

}  // namespace

Result<std::shared_ptr<const ExtraTrust>> ExtraTrust::parse(std::string_view pem) {
  std::shared_ptr<ExtraTrust> trust(new ExtraTrust());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return fail(Errc::internal, "out of memory");
  ERR_clear_error();
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    trust->certificates_.push_back(cert);
  }
  BIO_free(bio);
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end || trust->certificates_.empty()) {
    return fail(Errc::invalid_request,
                "the CA file must hold one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  return std::shared_ptr<const ExtraTrust>(std::move(trust));
}

ExtraTrust::~ExtraTrust() {
  for (void* cert : certificates_) X509_free(static_cast<X509*>(cert));
}

void ExtraTrust::add_to(void* ssl_ctx) const {
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (void* cert : certificates_) {
    X509_STORE_add_cert(store, static_cast<X509*>(cert));  // a duplicate is ignored
  }
  ERR_clear_error();
}

void install_tls_context_hook(CURL* easy, TlsConnectionNotes* notes) {
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &on_ssl_context);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, notes);
}

}  // namespace axon
