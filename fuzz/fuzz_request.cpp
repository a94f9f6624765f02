// libFuzzer target: bytes as an HTTP request -> Beast's request parser (with the server's
// header and body limits) -> ApiRequest -> api::handle_request, over a real SqliteStore with
// one admin token, one tenant, one API key and an endpoint. Any 5xx answer is a finding
// (the API's rule: the server never answers 5xx to anything a client can send), as is a crash,
// a sanitizer report or a leak.
#include <stdlib.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "api/auth.hpp"
#include "api/router.hpp"
#include "core/encoding.hpp"
#include "core/secret_box.hpp"
#include "store/store.hpp"

namespace {

namespace http = boost::beast::http;

struct World {
  axon::FakeClock clock;
  axon::SecureRandom random;
  axon::IdGenerator ids{clock, random};
  std::unique_ptr<axon::Store> store;
  std::optional<axon::SecretBox> secrets;
  std::optional<axon::ApiContext> context;
  axon::ApiOptions options;
  std::optional<axon::api::Services> services;
};

World* world = nullptr;

// Fixed ids and credentials the corpus uses: "Bearer fuzz-admin-token", tenant
// ten_fuzz, key "axk_fuzzkey".
void set_up() {
  world = new World();
  char dir[] = "/tmp/axon-fuzz-XXXXXX";
  if (!mkdtemp(dir)) abort();
  auto store = axon::open_sqlite_store(std::string(dir) + "/fuzz.db");
  if (!store || !(*store)->migrate()) abort();
  world->store = std::move(*store);
  world->secrets.emplace(*axon::SecretBox::create(std::string(32, 'k')));
  world->context.emplace(axon::ApiContext{.store = *world->store,
                                          .secrets = *world->secrets,
                                          .clock = world->clock,
                                          .random = world->random,
                                          .ids = world->ids,
                                          .admin_token_hash = axon::sha256_hex("fuzz-admin-token"),
                                          .on_events_ingested = [] {},
                                          .metrics_text = [] { return std::string("m 1\n"); }});
  world->services.emplace(axon::api::Services{*world->context, world->options});
  axon::Tenant tenant{.id = "ten_fuzz", .name = "fuzz", .created_at = 1};
  if (!world->store->create_tenant(tenant)) abort();
  axon::ApiKey key;
  key.id = "key_fuzz";
  key.tenant_id = "ten_fuzz";
  key.key_hash = axon::api::api_key_hash("axk_fuzzkey");
  key.created_at = 1;
  if (!world->store->create_api_key(key)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(world->options.max_header_bytes));
  parser.body_limit(world->options.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  const auto& request = parser.get();
  axon::api::ApiRequest api_request;
  api_request.method = std::string(request.method_string());
  api_request.target = std::string(request.target());
  for (const auto& field : request) {
    api_request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  api_request.body = request.body();
  world->clock.advance(1);
  axon::api::ApiResponse response = axon::api::handle_request(*world->services, api_request);
  if (response.status >= 500 && response.status != 503) {
    std::fprintf(stderr, "5xx %d for %s %s: %s\n", response.status, api_request.method.c_str(),
                 api_request.target.c_str(), response.body.c_str());
    abort();
  }
  return 0;
}
