// The operator dashboard's static files (everything under web/), embedded into the binary at
// build time by cmake/embed_web.cmake, so `GET /` works offline with no files on disk.
//
// URL layout served by the API: `GET /` is web/index.html, `GET /assets/<file>` is
// web/<file> (subfolders allowed). The ETag is a quoted prefix of the file's SHA-256, so a
// server can answer `If-None-Match` with 304.
// Thread-safety: immutable data; safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace axon::web {

struct Asset {
  std::string_view path;          // relative to web/, e.g. "app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          // e.g. "\"3f2a…\"" (quotes included, ready for the header)
  std::string_view bytes;         // the file's content
};

// Maps a request path to an asset: "/" and "/index.html" -> index.html, "/assets/<file>" ->
// <file>. Anything else, or a path with "..", answers nullptr (the caller's 404).
const Asset* find_web_asset(std::string_view path);

// Every embedded file (generated at build time).
std::span<const Asset> all_web_assets();

}  // namespace axon::web
