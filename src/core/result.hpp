// Errors that callers handle are values: Result<T> is std::expected<T, Error>.
// Every Error carries a stable machine code (Errc) and a human message; the API maps
// Errc to an HTTP status in exactly one place (api/errors.cpp).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace axon {

enum class Errc {
  invalid_request,         // 400 malformed or mistyped input
  invalid_json,            // 400 body is not JSON
  invalid_cursor,          // 400 a pagination cursor the server did not issue
  unauthorized,            // 401 missing or wrong credential
  forbidden,               // 403 valid credential, not allowed
  not_found,               // 404 unknown resource (or another tenant's)
  method_not_allowed,      // 405
  conflict,                // 409
  payload_too_large,       // 413
  unsupported_media_type,  // 415
  validation_failed,       // 422 well-formed but semantically invalid
  limit_exceeded,          // 422 would exceed a configured quota (endpoints per tenant)
  url_not_allowed,         // 422 endpoint URL refused by the SSRF policy
  rate_limited,            // 429
  unavailable,             // 503 store unreachable, shutting down
  storage_full,            // 503 the database cannot write: its disk (or quota) is full
  internal,                // 500 a bug; never caused by client input
};

// The database cannot do the work now but will again by itself (unreachable, or out of
// space): callers keep what they were recording and retry, never drop it.
inline bool is_store_outage(Errc code) {
  return code == Errc::unavailable || code == Errc::storage_full;
}

// The stable wire name of a code, e.g. "invalid_request".
std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return fail(Errc::not_found, "no such tenant");`
inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace axon
