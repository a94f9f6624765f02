// Signs a delivery with the installed library and verifies it both ways; exit 0 on success.
#include <axon/verify.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

int main() {
  namespace v = axon::verify;
  const std::string secret = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0";
  const std::string body = R"({"id":"evt_1","type":"order.updated"})";
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  v::Headers headers = v::sign(secret, "evt_1", t, body);
  v::Result good = v::verify(secret, headers, body);
  std::map<std::string, std::string> as_map(headers.items().begin(), headers.items().end());
  v::Result tampered = v::verify(secret, as_map, body + " ");
  if (!good || tampered.reason != v::Reason::no_matching_signature) {
    std::fprintf(stderr, "unexpected: %s / %s\n", good.message.c_str(), tampered.message.c_str());
    return 1;
  }
  std::printf("consumer ok: %s, event %s\n", v::to_string(good.scheme), good.event_id.c_str());
  return 0;
}
