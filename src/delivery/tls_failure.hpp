// What went wrong in a TLS connection, in words an operator understands ("certificate has
// expired", "certificate is for another host name"), from what libcurl and OpenSSL report.
// Thread-safety: pure functions.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>
#include <string_view>

namespace axon {

struct TlsFailureReport {
  CURLcode code = CURLE_OK;
  long verify_result = 0;   // CURLINFO_SSL_VERIFYRESULT (an X509_V_ code; 0 = verified)
  std::string_view detail;  // libcurl's error buffer
  // The receiver asked for a client certificate and none was presented (tls_context.hpp).
  bool client_certificate_missing = false;
};

// The human description when the failure is a TLS one (bad or untrusted certificate, failed
// handshake, a TLS alert from the receiver such as "certificate required"); nullopt when it
// is not about TLS.
std::optional<std::string> describe_tls_failure(const TlsFailureReport& report);

}  // namespace axon
