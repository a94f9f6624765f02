// `axon-webhooks verify`: checks one captured delivery with include/axon/verify.hpp.
// Exit 0 and the body on stdout when it verifies; exit 1 and the reason on stderr when not;
// exit 2 for unusable arguments (bad --header, unreadable --body, bad --tolerance).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "axon/verify.hpp"
#include "cli/commands.hpp"
#include "core/duration.hpp"

namespace axon::cli {
namespace {

struct VerifyOptions {
  std::string secret;
  std::vector<std::string> headers;  // "Name: value"
  std::string body = "-";            // a file, or - for stdin
  std::string tolerance = "5m";
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "axon-webhooks verify: " << message << std::endl;
  throw CLI::RuntimeError(2);
}

std::string read_body(const std::string& source) {
  if (source == "-") {
    std::ostringstream out;
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(source, std::ios::binary);
  if (!in) usage_error("cannot read --body " + source);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "Name: value" (as curl -H and HTTP write them); the value keeps inner spaces.
verify::Headers parse_headers(const std::vector<std::string>& lines) {
  verify::Headers headers;
  for (std::string line : lines) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      usage_error("--header must look like 'Name: value', got '" + line + "'");
    }
    std::string_view value(line);
    value.remove_prefix(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    headers.add(std::string_view(line).substr(0, colon), value);
  }
  return headers;
}

// A tolerance as operators type it ("5m", "300s"); "0" turns the timestamp check off.
std::chrono::seconds parse_tolerance(const std::string& text, const char* command) {
  if (text == "0") return std::chrono::seconds(0);
  auto ms = parse_duration(text);
  if (!ms) {
    std::cerr << "axon-webhooks " << command << ": --tolerance: " << ms.error().message
              << std::endl;
    throw CLI::RuntimeError(2);
  }
  return std::chrono::seconds(*ms / 1000);
}

}  // namespace

void register_verify_command(CLI::App& app) {
  auto options = std::make_shared<VerifyOptions>();
  auto* cmd = app.add_subcommand(
      "verify",
      "Verify one delivery's signature: exit 0 and print the body when it is authentic and "
      "fresh, exit 1 with the reason otherwise");
  cmd->add_option("--secret", options->secret, "the endpoint secret (whsec_…)")
      ->required()
      ->envname("AXON_WEBHOOK_SECRET");
  cmd->add_option("-H,--header", options->headers,
                  "a received header, 'Name: value' (repeat: X-Axon-Signature, or webhook-id, "
                  "webhook-timestamp and webhook-signature, and optionally X-Axon-Event-Id)");
  cmd->add_option("--body", options->body, "the raw body as received: a file, or - for stdin")
      ->capture_default_str();
  cmd->add_option("--tolerance", options->tolerance,
                  "how far the signed timestamp may be from now, e.g. 5m; 0 turns it off")
      ->capture_default_str();
  cmd->callback([options] {
    const verify::Headers headers = parse_headers(options->headers);
    const auto tolerance = parse_tolerance(options->tolerance, "verify");
    const std::string body = read_body(options->body);
    const verify::Result result = verify::verify(options->secret, headers, body, tolerance);
    if (!result) {
      std::cerr << "axon-webhooks verify: " << verify::to_string(result.reason) << ": "
                << result.message << std::endl;
      throw CLI::RuntimeError(1);
    }
    std::cerr << "verified (" << verify::to_string(result.scheme) << ")"
              << (result.event_id.empty() ? "" : ": event " + result.event_id) << ", signed at "
              << result.timestamp << std::endl;
    std::cout << body;
    if (body.empty() || body.back() != '\n') std::cout << '\n';
    std::cout.flush();
  });
}

}  // namespace axon::cli
