// Validation of the endpoint fields of POST …/endpoints and PATCH …/endpoints/{eid}
// (docs/api.md, "Endpoints"). Missing or mistyped fields are 400 invalid_request; bad values
// are 422 (validation_failed, or url_not_allowed from the SSRF policy), each naming the field:
//   url            http(s), a host, <= 2048 chars; literal private/loopback hosts refused
//                  unless allow_private
//   description    string (null = ""), <= 1000 characters
//   event_types    null (all types) or a non-empty array of <= 256 subscription patterns
//   headers        object of string -> string, <= 64 entries; names are HTTP tokens and not
//                  Host, Content-Length, Content-Type, User-Agent, Transfer-Encoding,
//                  Connection, webhook-*, X-Axon-*; values <= 4096 chars, no CR/LF/NUL
//   disabled       boolean
//   max_in_flight  integer 0..10000 (0 = unlimited)
//   rate_limit     number 0..100000 attempts per second (0 = unlimited)
//   ordering       "parallel" | "fifo"
//   tls_client_certificate, tls_client_key
//                  a PEM certificate chain and its unencrypted PEM private key, given
//                  together (both null = remove); the key must be the leaf's
//   operational    boolean, creation only (PATCH may repeat the current value, not change it):
//                  the endpoint receives operational events only, and each of its
//                  event_types must match at least one operational type
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace axon::api {

// The fields present in `body` (unknown fields are ignored). With `require_url`, a missing
// url is an error (creation).
Result<EndpointPatch> parse_endpoint_fields(const nlohmann::json& body, bool require_url,
                                            bool allow_private_targets);

// The client certificate fields: nullopt when both are absent; {nullopt, nullopt} when both
// are null (remove); both set once they parse and belong together.
struct ClientCertificateInput {
  std::optional<std::string> certificate_pem;
  std::optional<std::string> key_pem;  // plaintext: the caller seals it
};
Result<std::optional<ClientCertificateInput>> parse_client_certificate(const nlohmann::json& body);

// The `operational` field (nullopt when absent); 400 when it is not a boolean.
Result<std::optional<bool>> parse_operational_flag(const nlohmann::json& body);

// 422 unless every pattern matches at least one operational event type (nullopt = all five).
Result<void> check_operational_subscriptions(
    const std::optional<std::vector<std::string>>& patterns);

// 422 unless `name: value` may be sent as a custom delivery header.
Result<void> check_custom_header(std::string_view name, std::string_view value);

}  // namespace axon::api
