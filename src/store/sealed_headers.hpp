// Custom endpoint headers at rest. Their values are where receivers' credentials go (an
// `Authorization` for the receiver's gateway), so a store given a HeaderSealer keeps the whole
// list sealed with the master key, like endpoint secrets.
//
// The headers column holds JSON in one of two forms, told apart by their JSON type so that no
// header value can be mistaken for the other:
//   sealed: a JSON string, SecretBox("[[name, value], …]")  e.g. "v1:q83v…"
//   plain:  the JSON array itself                           e.g. [["X-Team","blue"]]
// Plain is what rows written before sealing existed hold, and what a store without a sealer
// writes (tests, tools that never deliver). Stores read both; `seal_plain_headers` turns the
// old plain rows into sealed ones once the key is available (`serve` does it at start).
//
// Thread-safety: immutable after construction; safe to share (SecretBox and SecureRandom are).
#pragma once

#include <string>
#include <string_view>

#include "core/random.hpp"
#include "core/result.hpp"
#include "core/secret_box.hpp"
#include "store/models.hpp"

namespace axon {

class HeaderSealer {
 public:
  HeaderSealer(const SecretBox& box, Random& random) : box_(box), random_(random) {}
  std::string seal(std::string_view plain) const { return box_.seal(plain, random_); }
  Result<std::string> open(std::string_view sealed) const { return box_.open(sealed); }

 private:
  const SecretBox& box_;
  Random& random_;
};

// The column's JSON text for `headers`: sealed when `sealer` is given, else plain.
std::string encode_header_column(const HeaderList& headers, const HeaderSealer* sealer);

// The list a column holds. Throws std::runtime_error when it is sealed and cannot be opened
// (no sealer, or another key): the stores turn that into an internal error.
HeaderList decode_header_column(std::string_view column, const HeaderSealer* sealer);

// True when the column holds the sealed form; its sealed text is then in `sealed`.
bool sealed_header_column(std::string_view column, std::string* sealed = nullptr);

// The column text for an already sealed value (the sealed form above).
std::string sealed_header_column_text(std::string_view sealed);

}  // namespace axon
