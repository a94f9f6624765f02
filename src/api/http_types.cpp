#include "api/http_types.hpp"

namespace axon::api {

std::optional<std::string_view> ApiRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace axon::api
