// Byte encodings used across the product: hex, base64 (standard, padded), base64url.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace axon {

std::string hex_encode(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt if malformed
std::string base64url_encode(std::string_view bytes);              // no padding
std::optional<std::string> base64url_decode(std::string_view text);

std::string sha256_hex(std::string_view bytes);
// Constant-time equality (length is not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace axon
