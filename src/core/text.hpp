// ASCII text helpers shared across components: case-insensitive comparison (HTTP header
// names, auth schemes, media types) and trimming of blanks. ASCII only, no locale.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace axon {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string ascii_lower(std::string_view text);

bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);

// Without the spaces, tabs, CRs and LFs at either end.
std::string_view trim(std::string_view text);

}  // namespace axon
