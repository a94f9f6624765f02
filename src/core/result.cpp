#include "core/result.hpp"

namespace axon {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_request:
      return "invalid_request";
    case Errc::invalid_json:
      return "invalid_json";
    case Errc::invalid_cursor:
      return "invalid_cursor";
    case Errc::unauthorized:
      return "unauthorized";
    case Errc::forbidden:
      return "forbidden";
    case Errc::not_found:
      return "not_found";
    case Errc::method_not_allowed:
      return "method_not_allowed";
    case Errc::conflict:
      return "conflict";
    case Errc::payload_too_large:
      return "payload_too_large";
    case Errc::unsupported_media_type:
      return "unsupported_media_type";
    case Errc::validation_failed:
      return "validation_failed";
    case Errc::url_not_allowed:
      return "url_not_allowed";
    case Errc::limit_exceeded:
      return "limit_exceeded";
    case Errc::rate_limited:
      return "rate_limited";
    case Errc::unavailable:
      return "unavailable";
    case Errc::storage_full:
      return "storage_full";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace axon
