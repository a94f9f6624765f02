#include "store/sealed_headers.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace axon {

namespace {

std::string plain_json(const HeaderList& headers) {
  auto json = nlohmann::json::array();
  for (const auto& [name, value] : headers) json.push_back({name, value});
  // Values were validated as text without CR/LF/NUL; replace keeps PostgreSQL's jsonb happy
  // with any stray invalid UTF-8 all the same.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HeaderList from_plain(const nlohmann::json& pairs) {
  HeaderList headers;
  for (const auto& pair : pairs) {
    headers.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
  }
  return headers;
}

}  // namespace

std::string encode_header_column(const HeaderList& headers, const HeaderSealer* sealer) {
  std::string plain = plain_json(headers);
  if (!sealer) return plain;
  return sealed_header_column_text(sealer->seal(plain));
}

HeaderList decode_header_column(std::string_view column, const HeaderSealer* sealer) {
  auto json = nlohmann::json::parse(column);
  if (!json.is_string()) return from_plain(json);
  if (!sealer) throw std::runtime_error("endpoint headers are sealed and no master key was given");
  auto opened = sealer->open(json.get<std::string>());
  if (!opened) throw std::runtime_error("endpoint headers: " + opened.error().message);
  return from_plain(nlohmann::json::parse(*opened));
}

bool sealed_header_column(std::string_view column, std::string* sealed) {
  auto json = nlohmann::json::parse(column, nullptr, /*allow_exceptions=*/false);
  if (!json.is_string()) return false;
  if (sealed) *sealed = json.get<std::string>();
  return true;
}

std::string sealed_header_column_text(std::string_view sealed) {
  return nlohmann::json(std::string(sealed)).dump();
}

}  // namespace axon
