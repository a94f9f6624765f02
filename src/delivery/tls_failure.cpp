#include "delivery/tls_failure.hpp"

#include <openssl/x509_vfy.h>

namespace axon {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool is_tls_code(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// The receiver's certificate failed verification with X509_V_ code `result`.
std::string describe_verify_result(long result) {
  switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate is not valid yet";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "certificate is not trusted (its issuer is not a trusted certificate authority; "
             "a private CA can be trusted with --ca-file)";
    case X509_V_ERR_CERT_REVOKED:
      return "certificate has been revoked";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "certificate is for another host name";
    case X509_V_ERR_INVALID_PURPOSE:
      return "certificate may not be used by a TLS server";
    default:
      return std::string("certificate is not valid: ") +
             X509_verify_cert_error_string(result);
  }
}

// A TLS alert the receiver sent (the text libcurl copies from OpenSSL names it).
std::optional<std::string> describe_alert(std::string_view detail) {
  if (contains(detail, "alert certificate required")) {
    return "the receiver requires a client certificate and none was presented";
  }
  if (contains(detail, "alert unknown ca") || contains(detail, "alert bad certificate") ||
      contains(detail, "alert certificate unknown") ||
      contains(detail, "alert certificate expired") ||
      contains(detail, "alert certificate revoked")) {
    return "the receiver rejected the client certificate";
  }
  if (contains(detail, "alert handshake failure")) {
    return "the receiver refused the TLS handshake (no common protocol or cipher, or it wants "
           "a client certificate)";
  }
  if (contains(detail, "alert protocol version")) {
    return "the receiver does not support a TLS version we offer";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> describe_tls_failure(const TlsFailureReport& report) {
  if (auto alert = describe_alert(report.detail)) return alert;
  // A TLS 1.3 receiver refuses a missing client certificate after our side of the
  // handshake is done: the alert may be lost to a send error or a closed connection.
  const bool connection_dropped =
      report.code == CURLE_SEND_ERROR || report.code == CURLE_RECV_ERROR ||
      report.code == CURLE_GOT_NOTHING || report.code == CURLE_SSL_CONNECT_ERROR;
  if (report.client_certificate_missing && connection_dropped) {
    return "the receiver requires a client certificate and none was presented";
  }
  if (!is_tls_code(report.code)) return std::nullopt;
  // libcurl starts every connection at X509_V_ERR_UNSPECIFIED: the handshake ended before
  // the certificate was verified.
  if (report.verify_result != X509_V_OK && report.verify_result != X509_V_ERR_UNSPECIFIED) {
    return describe_verify_result(report.verify_result);
  }
  switch (report.code) {
    case CURLE_PEER_FAILED_VERIFICATION:
      if (contains(report.detail, "subject name") || contains(report.detail, "host name")) {
        return "certificate is for another host name";
      }
      return "certificate could not be verified";
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CLIENTCERT:
      return "the endpoint's client certificate could not be used";
    case CURLE_SSL_CONNECT_ERROR:
      if (contains(report.detail, "SSL_ERROR_SYSCALL") || contains(report.detail, "reset") ||
          contains(report.detail, "unexpected eof")) {
        return "TLS handshake failed: the receiver closed the connection";
      }
      return "TLS handshake failed";
    default:
      return "TLS error: " + std::string(curl_easy_strerror(report.code));
  }
}

}  // namespace axon
