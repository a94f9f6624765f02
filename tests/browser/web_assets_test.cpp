// The dashboard files embedded by cmake/embed_web.cmake: byte-identical to web/, typed, with
// stable ETags, and reachable only through the URLs the server maps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "web/assets.hpp"

namespace {

namespace fs = std::filesystem;
using axon::web::all_web_assets;
using axon::web::Asset;
using axon::web::find_web_asset;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(WebAssets, EmbedsEveryFileUnderWebByteForByte) {
  std::set<std::string> on_disk;
  for (const auto& entry : fs::recursive_directory_iterator(AXON_WEB_DIR)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = fs::relative(entry.path(), AXON_WEB_DIR).generic_string();
    if (entry.path().filename().string().starts_with(".")) continue;
    on_disk.insert(rel);
    const Asset* asset = find_web_asset("/assets/" + rel);
    ASSERT_NE(asset, nullptr) << rel;
    EXPECT_EQ(asset->bytes, read_file(entry.path())) << rel;
  }
  EXPECT_EQ(on_disk.size(), all_web_assets().size());
  EXPECT_TRUE(on_disk.contains("index.html"));
  EXPECT_TRUE(on_disk.contains("app.js"));
}

TEST(WebAssets, RootIsIndexHtml) {
  const Asset* root = find_web_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->path, "index.html");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_NE(root->bytes.find("/assets/app.js"), std::string_view::npos);
  EXPECT_EQ(find_web_asset("/index.html"), root);
}

TEST(WebAssets, ContentTypesFollowTheExtension) {
  EXPECT_EQ(find_web_asset("/assets/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_web_asset("/assets/style.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_web_asset("/assets/app.js?v=1"), find_web_asset("/assets/app.js"));
}

TEST(WebAssets, EtagsAreQuotedAndDistinct) {
  std::set<std::string_view> seen;
  for (const Asset& asset : all_web_assets()) {
    ASSERT_GE(asset.etag.size(), 10u);
    EXPECT_EQ(asset.etag.front(), '"');
    EXPECT_EQ(asset.etag.back(), '"');
    EXPECT_TRUE(seen.insert(asset.etag).second) << asset.path;
  }
}

TEST(WebAssets, UnknownAndTraversalPathsAreNotFound) {
  EXPECT_EQ(find_web_asset("/assets/nope.js"), nullptr);
  EXPECT_EQ(find_web_asset("/assets/"), nullptr);
  EXPECT_EQ(find_web_asset("/assets/../CMakeLists.txt"), nullptr);
  EXPECT_EQ(find_web_asset("/assets/views/../app.js"), nullptr);
  EXPECT_EQ(find_web_asset("/app.js"), nullptr);
  EXPECT_EQ(find_web_asset("/v1/tenants"), nullptr);
  EXPECT_EQ(find_web_asset(""), nullptr);
}

}  // namespace
