// A self-signed certificate for 127.0.0.1 made at run time (EC P-256, OpenSSL API), for the
// HTTPS drain: the receiver serves it and `serve --ca-file` trusts it.
#pragma once

#include <string>

namespace bench {

struct SelfSigned {
  std::string certificate_pem;
  std::string key_pem;
};

SelfSigned make_self_signed_localhost();

}  // namespace bench
