// TestPki: certificates made at test time with the OpenSSL API (EC P-256, in memory), for
// TLS receivers and client certificates: a private CA and leaves it issues, with chosen
// names and validity (an expired one, one for another name). Nothing is fixed in the repo.
//
//   TestCa ca("Test CA");
//   auto server = ca.issue({.common_name = "localhost", .dns_names = {"localhost"},
//                           .ip_addresses = {"127.0.0.1"}});
//   write_text_file(dir.file("ca.pem"), ca.certificate_pem());
//
// Thread-safety: a TestCa may be shared once constructed (issue() is const and reentrant).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace axon::test {

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries (IPv4 literals)
  std::chrono::seconds valid_from{-3600};  // relative to now
  std::chrono::seconds valid_until{24 * 3600};
};

struct IssuedCertificate {
  std::string certificate_pem;
  std::string key_pem;  // unencrypted PKCS#8
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name);  // self-signed, valid -1 h .. +10 days
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& certificate_pem() const { return certificate_pem_; }
  IssuedCertificate issue(const CertificateSpec& spec) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string certificate_pem_;
};

// A fresh key pair's private key, unrelated to any certificate (PEM, PKCS#8).
std::string generate_private_key_pem();

// Writes `text` to `path` (created or truncated); aborts the test binary when it cannot.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace axon::test
