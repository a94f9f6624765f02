#include "api/errors.hpp"

#include <nlohmann/json.hpp>

#include "api/json_codec.hpp"

namespace axon::api {

int http_status(Errc code) {
  switch (code) {
    case Errc::invalid_request:
    case Errc::invalid_json:
    case Errc::invalid_cursor:
      return 400;
    case Errc::unauthorized:
      return 401;
    case Errc::forbidden:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::method_not_allowed:
      return 405;
    case Errc::conflict:
      return 409;
    case Errc::payload_too_large:
      return 413;
    case Errc::unsupported_media_type:
      return 415;
    case Errc::validation_failed:
    case Errc::url_not_allowed:
    case Errc::limit_exceeded:
      return 422;
    case Errc::rate_limited:
      return 429;
    case Errc::unavailable:
    case Errc::storage_full:
      return 503;
    case Errc::internal:
      return 500;
  }
  return 500;
}

ApiResponse error_response(const Error& error, const ErrorExtras& extras) {
  nlohmann::json body = {
      {"error", {{"code", std::string(errc_name(error.code))}, {"message", error.message}}}};
  ApiResponse response = json_response(http_status(error.code), body);
  switch (error.code) {
    case Errc::unauthorized:
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      break;
    case Errc::method_not_allowed:
      response.headers.emplace_back("Allow", extras.allow);
      break;
    case Errc::rate_limited:
      response.headers.emplace_back("Retry-After", std::to_string(extras.retry_after_seconds));
      break;
    default:
      break;
  }
  return response;
}

}  // namespace axon::api
