// The byte stream of one test-receiver connection: plain TCP, or TLS on top of it
// (OpenSSL, server side). TlsServerContext holds the certificate and the client-certificate
// policy; Channel reads and writes either way so the HTTP code does not care.
// Thread-safety: a TlsServerContext may be shared by connection threads once built; a
// Channel belongs to one thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct ssl_st;      // OpenSSL's SSL
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace axon::test {

struct TlsReceiverOptions {
  std::string certificate_pem;  // the server's chain, leaf first
  std::string key_pem;
  // When set, the receiver requires a client certificate issued by this CA.
  std::optional<std::string> client_ca_pem;
  // Reads the ClientHello and closes the connection: a handshake that never completes.
  bool close_during_handshake = false;
};

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Like recv()/send() loops: bytes read (0 at EOF, < 0 on error); false on error.
  ssize_t read(char* data, std::size_t size);
  bool write_all(std::string_view data);

  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }
  bool session_reused() const;
  std::string peer_subject() const;  // the client certificate's subject, "" without one

 private:
  friend class TlsServerContext;
  int fd_;
  ::ssl_st* ssl_ = nullptr;
};

class TlsServerContext {
 public:
  explicit TlsServerContext(const TlsReceiverOptions& options);  // throws on bad PEM
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // Runs the server handshake on `channel`; false when it failed (the peer gave up, no or a
  // wrong client certificate, or close_during_handshake).
  bool handshake(Channel& channel) const;

 private:
  ::ssl_ctx_st* ctx_ = nullptr;
  bool close_during_handshake_ = false;
};

}  // namespace axon::test
