#include "api/pagination.hpp"

#include "core/encoding.hpp"
#include "core/ids.hpp"

namespace axon::api {

namespace {
constexpr std::string_view kCursorTag = "c1:";
}

std::string encode_cursor(std::string_view id) {
  return base64url_encode(std::string(kCursorTag) + std::string(id));
}

Result<std::string> decode_cursor(std::string_view cursor, std::string_view id_prefix) {
  auto decoded = cursor.size() <= 256 ? base64url_decode(cursor) : std::nullopt;
  if (!decoded || !decoded->starts_with(kCursorTag) ||
      !is_valid_id(std::string_view(*decoded).substr(kCursorTag.size()), id_prefix)) {
    return fail(Errc::invalid_cursor, "after is not a cursor this server issued for this list");
  }
  return decoded->substr(kCursorTag.size());
}

Result<PageRequest> parse_page_request(const Query& query, std::string_view id_prefix) {
  PageRequest page;
  page.limit = kDefaultPageLimit;
  if (auto raw = query.get("limit")) {
    bool digits = !raw->empty();
    for (char c : *raw) digits = digits && c >= '0' && c <= '9';
    std::string_view value = *raw;
    while (value.size() > 1 && value.front() == '0') value.remove_prefix(1);
    if (!digits || value == "0") {
      return fail(Errc::invalid_request, "limit must be a positive integer (at most 1000)");
    }
    page.limit =
        value.size() > 4 ? kMaxPageLimit : std::min(kMaxPageLimit, std::stoi(std::string(value)));
  }
  if (auto after = query.get("after")) {
    auto id = decode_cursor(*after, id_prefix);
    if (!id) return std::unexpected(id.error());
    page.after = std::move(*id);
  }
  return page;
}

}  // namespace axon::api
