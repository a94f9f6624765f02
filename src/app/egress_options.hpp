// serve's --ca-file and --egress-proxy, checked at startup so a typo stops serve with a
// clear message instead of failing every delivery later.
// Thread-safety: pure apart from reading the CA file.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "delivery/http_sender.hpp"

namespace axon {

// Reads the CA file (one or more PEM certificates) and checks the proxy URL
// (http://host:port). Errc::invalid_request with a message naming the option otherwise.
Result<EgressOptions> load_egress_options(const std::optional<std::string>& ca_file,
                                          const std::optional<std::string>& egress_proxy);

}  // namespace axon
