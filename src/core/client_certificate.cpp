#include "core/client_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <vector>

namespace axon {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Refuses to decrypt: an encrypted key must fail, never prompt on a terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

// Every CERTIFICATE block of `pem`, in order; empty when one does not parse.
std::vector<X509Ptr> read_chain(std::string_view pem) {
  std::vector<X509Ptr> chain;
  BioPtr bio = memory_bio(pem);
  if (!bio) return chain;
  ERR_clear_error();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
    chain.emplace_back(cert);
  }
  // The loop ends at the end of the text ("no start line") or at a block that is broken.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end) chain.clear();
  return chain;
}

std::string rfc2253_subject(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return {};
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Result<Millis> not_after_ms(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return fail(Errc::validation_failed, "tls_client_certificate has an unreadable expiry date");
  }
  return static_cast<Millis>(timegm(&tm)) * 1000;
}

}  // namespace

Result<CertificateSummary> summarize_certificate_chain(std::string_view pem) {
  if (pem.size() > kMaxCertificateChainBytes) {
    return fail(Errc::validation_failed, "tls_client_certificate is larger than 64 KiB");
  }
  auto chain = read_chain(pem);
  if (chain.empty()) {
    return fail(Errc::validation_failed,
                "tls_client_certificate must be one or more PEM certificates "
                "(-----BEGIN CERTIFICATE----- …)");
  }
  auto expires_at = not_after_ms(chain.front().get());
  if (!expires_at) return std::unexpected(expires_at.error());
  return CertificateSummary{rfc2253_subject(chain.front().get()), *expires_at};
}

Result<CertificateSummary> check_client_credentials(std::string_view certificate_pem,
                                                    std::string_view key_pem) {
  auto summary = summarize_certificate_chain(certificate_pem);
  if (!summary) return summary;
  if (key_pem.size() > kMaxPrivateKeyBytes) {
    return fail(Errc::validation_failed, "tls_client_key is larger than 16 KiB");
  }
  BioPtr bio = memory_bio(key_pem);
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (!key) {
    return fail(Errc::validation_failed,
                "tls_client_key must be an unencrypted PEM private key "
                "(-----BEGIN PRIVATE KEY----- …)");
  }
  auto chain = read_chain(certificate_pem);
  const bool matches = X509_check_private_key(chain.front().get(), key.get()) == 1;
  ERR_clear_error();
  if (!matches) {
    return fail(Errc::validation_failed,
                "tls_client_key does not belong to tls_client_certificate (the first "
                "certificate's public key does not match the private key)");
  }
  return summary;
}

}  // namespace axon
