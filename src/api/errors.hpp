// The one place that turns an Error into an HTTP answer: Errc -> status code, and the body
// {"error":{"code":"<errc_name>","message":"…"}}. 401 answers carry `WWW-Authenticate:
// Bearer`, 405 answers `Allow`, 429 answers `Retry-After`.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "api/http_types.hpp"
#include "core/result.hpp"

namespace axon::api {

// The HTTP status of an error code (400 … 503; 500 only for Errc::internal).
int http_status(Errc code);

struct ErrorExtras {
  std::string allow;            // for 405: the methods the path accepts, e.g. "GET, POST"
  int retry_after_seconds = 1;  // for 429
};

ApiResponse error_response(const Error& error, const ErrorExtras& extras = {});

}  // namespace axon::api
