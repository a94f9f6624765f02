// Client certificates of endpoints (mutual TLS): checks of the PEM an API client sends, and
// the summary the API shows (subject, expiry). Pure functions over OpenSSL's parsers: no
// I/O, no global state. Thread-safety: safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace axon {

// Sizes above any real chain or key; they bound the work a request can ask for.
inline constexpr std::size_t kMaxCertificateChainBytes = 64 * 1024;
inline constexpr std::size_t kMaxPrivateKeyBytes = 16 * 1024;

struct CertificateSummary {
  std::string subject;  // RFC 2253 form of the first (leaf) certificate, e.g. "CN=a,O=b"
  Millis expires_at = 0;  // its notAfter
};

// The leaf of a PEM chain: one or more "CERTIFICATE" blocks, nothing else that fails to
// parse. Errc::validation_failed with a message naming the problem.
Result<CertificateSummary> summarize_certificate_chain(std::string_view pem);

// Checks a chain and a private key (PEM, unencrypted) that belong together: both parse and
// the key is the leaf certificate's. Errc::validation_failed otherwise; the message never
// quotes the key.
Result<CertificateSummary> check_client_credentials(std::string_view certificate_pem,
                                                    std::string_view key_pem);

}  // namespace axon
