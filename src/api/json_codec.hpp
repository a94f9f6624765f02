// JSON shapes of the API's resources (docs/api.md, "Resources"). Times are RFC 3339 UTC
// strings with milliseconds ("2026-11-29T01:02:03.456Z"); absent values are null, never omitted.
//
//   tenant    {"id","name","created_at"}
//   api key   {"id","tenant_id","created_at","revoked_at"|null}
//             (+ "key" once, in the 201 answer of POST …/api-keys)
//   endpoint  {"id","tenant_id","url","description","event_types":[…]|null,
//              "headers":{name:value},"disabled","disabled_reason"|null,"max_in_flight",
//              "rate_limit","ordering":"parallel"|"fifo","operational","created_at",
//              "updated_at"}
//             (+ "secret" in the 201 answer of POST …/endpoints)
//   event     {"id","tenant_id","type","created_at","idempotency_key"|null,"data":<as sent>,
//              "deliveries":<count>}
//             GET …/events/{evid} answers "deliveries":[delivery…] and "delivery_count"
//   ingest    202 {"id","type","created_at","deliveries":<count>}
//   delivery  {"id","tenant_id","event_id","endpoint_id","event_type",
//              "status":"pending"|"succeeded"|"dead","attempt_count",
//              "next_attempt_at"|null (null unless pending),"created_at","updated_at",
//              "last_attempt":attempt|null}
//             GET …/deliveries/{did} adds "attempts":[attempt…] (oldest first)
//   attempt   {"n","started_at","duration_ms","status_code"|null (no response),
//              "error":"timeout"|"dns"|"connect"|"tls"|"http"|"blocked"|…|null,
//              "error_message"|null,"response_excerpt"}
//   list      {"data":[…],"next":"<cursor>"|null}
//   error     {"error":{"code":"<errc name>","message":"…"}}
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "api/pagination.hpp"
#include "store/models.hpp"
#include "store/store.hpp"

namespace axon::api {

using nlohmann::json;

// Minified, UTF-8 (invalid bytes from stored data are replaced, never thrown on).
std::string dump_json(const json& value);
ApiResponse json_response(int status, const json& body);
ApiResponse json_text_response(int status, std::string body);  // `body` is JSON text already
ApiResponse no_content_response();  // 204

json time_json(Millis ms);
json tenant_json(const Tenant& tenant);
json api_key_json(const ApiKey& key);
json endpoint_json(const Endpoint& endpoint);
json attempt_json(const Attempt& attempt);
json delivery_json(const Delivery& delivery);  // without the attempt log
// An event as JSON text with its "data" exactly as stored (the producer's text: a document
// would round numbers such as 1e-400); `extra` members are added (e.g. its deliveries).
std::string event_text(const Event& event, const json& extra = json::object());
// {"data":[event…],"next":cursor|null} as text, each event as event_text.
std::string event_page_text(const Page<Event>& page);

// {"data":[…],"next":cursor|null}
template <class T, class ToJson>
json page_json(const Page<T>& page, ToJson&& to_json);

template <class T, class ToJson>
json page_json(const Page<T>& page, ToJson&& to_json) {
  json data = json::array();
  for (const T& item : page.items) data.push_back(to_json(item));
  return json{{"data", std::move(data)},
              {"next", page.next ? json(encode_cursor(*page.next)) : json(nullptr)}};
}

}  // namespace axon::api
