// The per-connection TLS setup of the sender, through libcurl's CURLOPT_SSL_CTX_FUNCTION hook
// (called for every new TLS connection, after libcurl loaded the system store):
//  - ExtraTrust: certificates trusted in addition to the system store (--ca-file). libcurl's
//    CURLOPT_CAINFO would replace the system bundle instead of adding to it.
//  - TlsConnectionNotes: whether the receiver asked for a client certificate we did not
//    have. A TLS 1.3 receiver refuses a missing certificate after the client has finished its
//    handshake, so the failure may surface as a plain send or receive error; this note lets
//    it be reported as the TLS problem it is.
// Thread-safety: ExtraTrust is immutable after construction; notes belong to one transfer.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace axon {

class ExtraTrust {
 public:
  // Every CERTIFICATE block of `pem`; Errc::invalid_request when there is none or one is
  // broken.
  static Result<std::shared_ptr<const ExtraTrust>> parse(std::string_view pem);
  ~ExtraTrust();
  ExtraTrust(const ExtraTrust&) = delete;
  ExtraTrust& operator=(const ExtraTrust&) = delete;

  std::size_t size() const { return certificates_.size(); }
  void add_to(void* ssl_ctx) const;  // into an SSL_CTX's X509_STORE

 private:
  ExtraTrust() = default;
  std::vector<void*> certificates_;  // X509*, owned
};

struct TlsConnectionNotes {
  const ExtraTrust* extra_trust = nullptr;  // may be null
  bool client_certificate_requested = false;  // ... and we presented none
};

// Installs the hook on `easy`; `notes` must outlive the handle.
void install_tls_context_hook(CURL* easy, TlsConnectionNotes* notes);

}  // namespace axon
