#include "support/test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace axon::test {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "test PKI: %s\n", what);
  std::abort();
}

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) die("cannot generate an EC key");
  return key;
}

std::string key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string cert_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) die("bad certificate extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `subject_key`, signed by `signer_key` (issuer = `issuer`, or itself).
X509* make_certificate(const std::string& common_name, EVP_PKEY* subject_key, X509* issuer,
                       EVP_PKEY* signer_key, std::chrono::seconds from,
                       std::chrono::seconds until) {
  static long serial = 1;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(from.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(until.count()));
  X509_set_pubkey(cert, subject_key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Axon Tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) == 0) die("cannot sign a certificate");
}

}  // namespace

struct TestCa::Keys {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Keys() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestCa::TestCa(const std::string& common_name) : keys_(std::make_unique<Keys>()) {
  keys_->key = new_key();
  keys_->cert = make_certificate(common_name, keys_->key, nullptr, keys_->key,
                                 std::chrono::seconds(-3600), std::chrono::seconds(10 * 86400));
  add_extension(keys_->cert, keys_->cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(keys_->cert, keys_->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(keys_->cert, keys_->cert, NID_subject_key_identifier, "hash");
  sign(keys_->cert, keys_->key);
  certificate_pem_ = cert_pem(keys_->cert);
}

TestCa::~TestCa() = default;

IssuedCertificate TestCa::issue(const CertificateSpec& spec) const {
  EVP_PKEY* key = new_key();
  X509* cert = make_certificate(spec.common_name, key, keys_->cert, keys_->key, spec.valid_from,
                                spec.valid_until);
  std::string alt_names;
  for (const auto& dns : spec.dns_names) alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : spec.ip_addresses) alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  if (!alt_names.empty()) add_extension(cert, keys_->cert, NID_subject_alt_name, alt_names);
  add_extension(cert, keys_->cert, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert, keys_->cert, NID_ext_key_usage, "serverAuth,clientAuth");
  add_extension(cert, keys_->cert, NID_authority_key_identifier, "keyid");
  sign(cert, keys_->key);
  IssuedCertificate out{cert_pem(cert), key_pem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

std::string generate_private_key_pem() {
  EVP_PKEY* key = new_key();
  std::string out = key_pem(key);
  EVP_PKEY_free(key);
  return out;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) die("cannot write a file");
}

}  // namespace axon::test
