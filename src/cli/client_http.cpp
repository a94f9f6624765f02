#include "cli/client_http.hpp"

#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <iostream>

namespace axon::cli {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "error: " << message << std::endl;
  throw CLI::RuntimeError(1);
}

}  // namespace

std::string url_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

ApiAnswer ApiClient::call(const std::string& method, const std::string& path,
                          const std::optional<nlohmann::json>& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) const {
  return perform(method, path, body ? std::optional<std::string>(body->dump()) : std::nullopt,
                 headers);
}

ApiAnswer ApiClient::call_text(
    const std::string& method, const std::string& path, const std::string& json_text,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  return perform(method, path, json_text, headers);
}

ApiAnswer ApiClient::perform(
    const std::string& method, const std::string& path, const std::optional<std::string>& body,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)initialised;
  CURL* curl = curl_easy_init();
  if (!curl) fail("cannot initialise libcurl");
  std::string url = base_url_;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += path;
  const std::string payload = body.value_or(std::string());
  struct curl_slist* list = nullptr;
  if (!token_.empty()) list = curl_slist_append(list, ("Authorization: Bearer " + token_).c_str());
  if (body) list = curl_slist_append(list, "Content-Type: application/json");
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  ApiAnswer answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "axon-webhooks-cli/" AXON_VERSION);
  if (body || method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    fail("cannot reach " + base_url_ + " (" + curl_easy_strerror(code) +
         "); set --api-url or AXON_URL");
  }
  if (!answer.body.empty()) {
    answer.json = nlohmann::json::parse(answer.body, nullptr, false);
    if (answer.json.is_discarded()) answer.json = nullptr;
  }
  if (answer.status >= 400) {
    const auto& error = answer.json.is_object() ? answer.json.value("error", nlohmann::json())
                                                : nlohmann::json();
    if (error.is_object()) {
      fail(error.value("code", "error") + ": " + error.value("message", "") + " (HTTP " +
           std::to_string(answer.status) + ")");
    }
    fail("HTTP " + std::to_string(answer.status) + ": " + answer.body.substr(0, 200));
  }
  return answer;
}

}  // namespace axon::cli
