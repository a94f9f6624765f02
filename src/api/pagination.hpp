// List pagination: `limit` (default 50, max 1000, larger values clamped, anything that is not
// a positive integer -> 400) and `after`, an opaque cursor: base64url of "c1:" + the id of
// the last item of the previous page. A cursor the server could not have issued -> 400
// invalid_cursor. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "api/request_input.hpp"
#include "core/result.hpp"
#include "store/rules.hpp"
#include "store/store.hpp"

namespace axon::api {

inline constexpr int kDefaultPageLimit = store_rules::kDefaultPageLimit;
inline constexpr int kMaxPageLimit = store_rules::kMaxPageLimit;

std::string encode_cursor(std::string_view id);
// The id inside a cursor issued for a list of ids with this prefix.
Result<std::string> decode_cursor(std::string_view cursor, std::string_view id_prefix);

Result<PageRequest> parse_page_request(const Query& query, std::string_view id_prefix);

}  // namespace axon::api
