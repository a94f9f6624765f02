// ApiClient: the CLI's HTTP client for the Axon API (libcurl easy, one request at a time).
// Thread-safety: one instance per thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace axon::cli {

struct ApiAnswer {
  long status = 0;
  std::string body;
  nlohmann::json json;  // parsed body (null when empty or not JSON)
};

class ApiClient {
 public:
  ApiClient(std::string base_url, std::string token)
      : base_url_(std::move(base_url)), token_(std::move(token)) {}

  // Performs the call; throws CLI::RuntimeError(1) after printing the reason when the server
  // cannot be reached or answers an error ({"error":{code,message}} -> "code: message").
  ApiAnswer call(const std::string& method, const std::string& path,
                 const std::optional<nlohmann::json>& body = std::nullopt,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  // The same with a JSON body sent as the given text (e.g. event data kept as written).
  ApiAnswer call_text(const std::string& method, const std::string& path,
                      const std::string& json_text,
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

 private:
  ApiAnswer perform(const std::string& method, const std::string& path,
                    const std::optional<std::string>& json_text,
                    const std::vector<std::pair<std::string, std::string>>& headers) const;

  std::string base_url_;
  std::string token_;
};

// Percent-encodes a query or path component.
std::string url_encode(const std::string& text);

}  // namespace axon::cli
