// The TLS side of the benchmark receiver: a server context from PEM, and read/write on a
// non-blocking socket with read()/send()'s conventions (-1 and errno EAGAIN while TLS waits
// for the socket, 0 at a clean close), so the epoll loop treats both transports alike.
// Thread-safety: a context may be shared by the workers; an SSL belongs to one worker.
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <string>

namespace bench {

// nullptr (and *error) when the certificate or key does not load.
SSL_CTX* make_tls_server_context(const std::string& certificate_pem, const std::string& key_pem,
                                 std::string* error);

// A server session on an accepted socket; the handshake runs inside the first tls_read.
SSL* accept_tls(SSL_CTX* ctx, int fd);

ssize_t tls_read(SSL* ssl, char* buf, std::size_t size);
ssize_t tls_write(SSL* ssl, const char* data, std::size_t size);

}  // namespace bench
