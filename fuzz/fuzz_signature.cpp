// libFuzzer target: the signature-header parsers. The input is split at the first two
// newlines into (X-Axon-Signature or webhook-signature header, webhook-timestamp, body);
// it goes through axon::parse_axon_signature and the single-header receiver library
// include/axon/verify.hpp (both schemes). Invariants: a signature the library made verifies;
// hostile headers never crash, never verify against a body they were not made for.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "axon/verify.hpp"
#include "core/signature.hpp"

namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string_view next_line(std::string_view& text) {
  auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view header = next_line(rest);
  const std::string_view timestamp = next_line(rest);
  const std::string_view body = rest;

  if (auto parsed = axon::parse_axon_signature(header)) {
    for (const auto& v1 : parsed->v1) (void)v1.size();
  }
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'000'000));
  axon::verify::Headers as_axon{{"X-Axon-Signature", header}};
  (void)axon::verify::verify(kSecret, as_axon, body, axon::verify::kDefaultTolerance, now);
  axon::verify::Headers as_standard{{"webhook-id", "evt_fuzz"},
                                    {"webhook-timestamp", timestamp},
                                    {"webhook-signature", header}};
  (void)axon::verify::verify(kSecret, as_standard, body, axon::verify::kDefaultTolerance, now);
  (void)axon::verify::verify(header, as_standard, body, axon::verify::kDefaultTolerance, now);  // the header as a secret

  // Round trip: what we sign for this body verifies, in both schemes, and only for it.
  const std::vector<std::string> secrets = {std::string(kSecret)};
  const std::int64_t t = 1'764'000'000;
  std::string axon_header = axon::axon_signature_header(secrets, t, body);
  auto reparsed = axon::parse_axon_signature(axon_header);
  if (!reparsed || reparsed->t != t || reparsed->v1.size() != 1) std::abort();
  axon::verify::Headers signed_axon{{"X-Axon-Signature", axon_header}};
  if (!axon::verify::verify(kSecret, signed_axon, body, axon::verify::kDefaultTolerance, now).ok) std::abort();
  std::string other_body = std::string(body) + "x";
  if (axon::verify::verify(kSecret, signed_axon, other_body, axon::verify::kDefaultTolerance, now).ok) std::abort();
  std::string standard = axon::standard_signature_header(secrets, "evt_fuzz", t, body);
  axon::verify::Headers signed_standard{{"webhook-id", "evt_fuzz"},
                                        {"webhook-timestamp", std::to_string(t)},
                                        {"webhook-signature", standard}};
  if (!axon::verify::verify(kSecret, signed_standard, body, axon::verify::kDefaultTolerance, now).ok) std::abort();
  return 0;
}
