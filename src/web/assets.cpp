#include "web/assets.hpp"

namespace axon::web {

const Asset* find_web_asset(std::string_view path) {
  // Query strings are not part of an asset's name ("/assets/app.js?v=2").
  path = path.substr(0, path.find_first_of("?#"));
  std::string_view name;
  if (path == "/" || path == "/index.html") {
    name = "index.html";
  } else if (path.starts_with("/assets/")) {
    name = path.substr(8);
  } else {
    return nullptr;
  }
  if (name.empty() || name.find("..") != std::string_view::npos) return nullptr;
  for (const Asset& asset : all_web_assets()) {
    if (asset.path == name) return &asset;
  }
  return nullptr;
}

}  // namespace axon::web
