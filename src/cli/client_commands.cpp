// The CLI client: tenants, api-keys, endpoints, events, deliveries, dead-letters, replay and
// recover over the HTTP API. Human tables by default, --json prints the API's JSON as is.
// Server and credentials: --api-url / AXON_URL (default http://127.0.0.1:8080) and
// --token / AXON_TOKEN (admin token or a tenant API key). An API error prints
// "error: <code>: <message>" and exits 1.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/client_http.hpp"
#include "cli/client_table.hpp"
#include "cli/commands.hpp"
#include "cli/event_import.hpp"
#include "core/json_limits.hpp"
#include "core/json_text.hpp"

namespace axon::cli {
namespace {

using nlohmann::json;

// Everything the client subcommands parse; only one leaf command runs per process.
struct ClientArgs {
  std::string api_url = "http://127.0.0.1:8080";
  std::string token;
  bool json_output = false;
  std::string tenant, id, second_id, name;
  // endpoints
  std::string url, description, ordering;
  std::vector<std::string> event_types, headers;
  bool disabled = false, enabled = false, all_events = false, operational = false;
  std::optional<int> max_in_flight;
  std::optional<double> rate_limit;
  // events / deliveries
  std::string type, data, idempotency_key, status, endpoint_id, event_id, since;
  int limit = 0;
  bool no_wait = false;
  // events import
  std::string file = "-";
  std::size_t batch_size = 1000;
};

ClientArgs& args() {
  static ClientArgs a = [] {
    ClientArgs init;
    if (const char* v = std::getenv("AXON_URL"); v && *v) init.api_url = v;
    if (const char* v = std::getenv("AXON_TOKEN"); v && *v) init.token = v;
    if (const char* v = std::getenv("AXON_TENANT"); v && *v) init.tenant = v;
    return init;
  }();
  return a;
}

ApiClient client() { return ApiClient(args().api_url, args().token); }

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "error: " << message << std::endl;
  throw CLI::RuntimeError(2);
}

// Adds the options every client command takes, then the callback.
CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& help,
               std::function<void()> run) {
  auto* cmd = parent->add_subcommand(name, help);
  auto& a = args();
  cmd->add_option("--api-url", a.api_url, "API base URL [env AXON_URL]");
  cmd->add_option("--token", a.token, "admin token or tenant API key [env AXON_TOKEN]");
  cmd->add_flag("--json", a.json_output, "print the API's JSON instead of a table");
  cmd->callback(std::move(run));
  return cmd;
}

void add_tenant(CLI::App* cmd) {
  cmd->add_option("--tenant,-t", args().tenant, "tenant id [env AXON_TENANT]");
}

std::string tenant_path() {
  if (args().tenant.empty()) usage("--tenant (or AXON_TENANT) is required");
  return "/v1/tenants/" + url_encode(args().tenant);
}

std::string list_query(std::vector<std::pair<std::string, std::string>> params) {
  if (args().limit > 0) params.emplace_back("limit", std::to_string(args().limit));
  std::string query;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    query += (query.empty() ? "?" : "&") + key + "=" + url_encode(value);
  }
  return query;
}

// Prints the answer: raw JSON with --json, else `human`.
void show(const ApiAnswer& answer, const std::function<void(const json&)>& human) {
  if (args().json_output) {
    std::cout << (answer.body.empty() ? "{}" : answer.body) << std::endl;
    return;
  }
  human(answer.json);
}

void show_list(const ApiAnswer& answer, const std::vector<Column>& columns) {
  show(answer, [&](const json& page) {
    print_table(std::cout, page.value("data", json::array()), columns);
    if (page.contains("next") && page["next"].is_string()) {
      std::cout << "(more: --limit or the API's ?after=" << page["next"].get<std::string>()
                << ")\n";
    }
  });
}

void show_object(const ApiAnswer& answer) {
  show(answer, [](const json& object) { print_object(std::cout, object); });
}

const std::vector<Column> kTenantColumns = {{"ID", "id"}, {"NAME", "name"}, {"CREATED", "created_at"}};
const std::vector<Column> kKeyColumns = {
    {"ID", "id"}, {"CREATED", "created_at"}, {"REVOKED", "revoked_at"}};
const std::vector<Column> kEndpointColumns = {
    {"ID", "id"},           {"URL", "url"},        {"EVENT TYPES", "event_types"},
    {"DISABLED", "disabled"}, {"ORDERING", "ordering"}, {"DESCRIPTION", "description"}};
const std::vector<Column> kEventColumns = {
    {"ID", "id"}, {"TYPE", "type"}, {"CREATED", "created_at"}, {"DELIVERIES", "deliveries"}};
const std::vector<Column> kDeliveryColumns = {
    {"ID", "id"},
    {"STATUS", "status"},
    {"ATTEMPTS", "attempt_count"},
    {"ENDPOINT", "endpoint_id"},
    {"EVENT TYPE", "event_type"},
    {"LAST STATUS", "last_attempt.status_code"},
    {"LAST ERROR", "last_attempt.error"},
    {"NEXT ATTEMPT", "next_attempt_at"}};
const std::vector<Column> kAttemptColumns = {{"N", "n"},
                                             {"STARTED", "started_at"},
                                             {"MS", "duration_ms"},
                                             {"STATUS", "status_code"},
                                             {"ERROR", "error"},
                                             {"MESSAGE", "error_message"},
                                             {"RESPONSE", "response_excerpt"}};

void register_tenants(CLI::App& app) {
  auto* group = app.add_subcommand("tenants", "Manage tenants (admin token)");
  group->require_subcommand(1);
  leaf(group, "list", "List tenants", [] {
    show_list(client().call("GET", "/v1/tenants" + list_query({})), kTenantColumns);
  })->add_option("--limit", args().limit, "page size");
  leaf(group, "create", "Create a tenant", [] {
    show_object(client().call("POST", "/v1/tenants", json{{"name", args().name}}));
  })->add_option("name", args().name, "tenant name")->required();
  leaf(group, "show", "Show a tenant", [] {
    show_object(client().call("GET", "/v1/tenants/" + url_encode(args().id)));
  })->add_option("id", args().id, "tenant id")->required();
  leaf(group, "delete", "Delete a tenant and everything it owns", [] {
    client().call("DELETE", "/v1/tenants/" + url_encode(args().id));
    if (args().json_output) std::cout << "{}" << std::endl;
    else std::cout << "deleted " << args().id << "\n";
  })->add_option("id", args().id, "tenant id")->required();
}

void register_api_keys(CLI::App& app) {
  auto* group = app.add_subcommand("api-keys", "Manage a tenant's API keys (admin token)");
  group->require_subcommand(1);
  leaf(group, "create", "Create an API key (the key is shown only once)", [] {
    show_object(client().call("POST", "/v1/tenants/" + url_encode(args().id) + "/api-keys"));
  })->add_option("tenant_id", args().id, "tenant id")->required();
  leaf(group, "list", "List API keys", [] {
    show_list(client().call("GET", "/v1/tenants/" + url_encode(args().id) + "/api-keys" +
                                       list_query({})),
              kKeyColumns);
  })->add_option("tenant_id", args().id, "tenant id")->required();
  auto* revoke = leaf(group, "revoke", "Revoke an API key", [] {
    client().call("DELETE", "/v1/tenants/" + url_encode(args().id) + "/api-keys/" +
                                url_encode(args().second_id));
    if (args().json_output) std::cout << "{}" << std::endl;
    else std::cout << "revoked " << args().second_id << "\n";
  });
  revoke->add_option("tenant_id", args().id, "tenant id")->required();
  revoke->add_option("key_id", args().second_id, "API key id")->required();
}

// The endpoint fields given on the command line, as a create/update body.
json endpoint_body(bool creating) {
  const auto& a = args();
  json body = json::object();
  if (!a.url.empty()) body["url"] = a.url;
  if (creating && a.url.empty()) usage("--url is required");
  if (!a.description.empty()) body["description"] = a.description;
  if (!a.event_types.empty()) body["event_types"] = a.event_types;
  if (a.all_events) body["event_types"] = nullptr;
  if (!a.headers.empty()) {
    json headers = json::object();
    for (const auto& header : a.headers) {
      const auto colon = header.find(':');
      if (colon == std::string::npos) usage("--header wants NAME:VALUE, got " + header);
      std::string value = header.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      headers[header.substr(0, colon)] = value;
    }
    body["headers"] = headers;
  }
  if (a.disabled && a.enabled) usage("--disabled and --enabled exclude each other");
  if (a.disabled) body["disabled"] = true;
  if (a.enabled) body["disabled"] = false;
  if (a.max_in_flight) body["max_in_flight"] = *a.max_in_flight;
  if (a.rate_limit) body["rate_limit"] = *a.rate_limit;
  if (!a.ordering.empty()) body["ordering"] = a.ordering;
  if (a.operational) body["operational"] = true;
  return body;
}

void add_endpoint_fields(CLI::App* cmd) {
  auto& a = args();
  cmd->add_option("--url", a.url, "the receiver's URL (http or https)");
  cmd->add_option("--event-type", a.event_types,
                  "subscribe to this type (repeatable; trailing wildcard like order.*)");
  cmd->add_flag("--all-events", a.all_events, "subscribe to every event type");
  cmd->add_option("--description", a.description, "free text");
  cmd->add_flag("--disabled", a.disabled, "disable the endpoint");
  cmd->add_flag("--enabled", a.enabled, "enable the endpoint");
  cmd->add_option("--header", a.headers, "custom header NAME:VALUE (repeatable)");
  cmd->add_option("--max-in-flight", a.max_in_flight, "concurrent attempts cap");
  cmd->add_option("--rate-limit", a.rate_limit, "attempts per second cap");
  cmd->add_option("--ordering", a.ordering, "parallel|fifo")
      ->check(CLI::IsMember({"parallel", "fifo"}));
}

void register_endpoints(CLI::App& app) {
  auto* group = app.add_subcommand("endpoints", "Manage a tenant's endpoints");
  group->require_subcommand(1);
  auto* create = leaf(group, "create", "Create an endpoint (prints its signing secret)", [] {
    show_object(client().call("POST", tenant_path() + "/endpoints", endpoint_body(true)));
  });
  add_tenant(create);
  add_endpoint_fields(create);
  create->add_flag("--operational", args().operational,
                   "receive only operational events (delivery.*, endpoint.*); fixed at creation");
  auto* list = leaf(group, "list", "List endpoints", [] {
    show_list(client().call("GET", tenant_path() + "/endpoints" + list_query({})),
              kEndpointColumns);
  });
  add_tenant(list);
  list->add_option("--limit", args().limit, "page size");
  auto* show_cmd = leaf(group, "show", "Show an endpoint", [] {
    show_object(client().call("GET", tenant_path() + "/endpoints/" + url_encode(args().id)));
  });
  add_tenant(show_cmd);
  show_cmd->add_option("endpoint_id", args().id, "endpoint id")->required();
  auto* update = leaf(group, "update", "Change an endpoint (only the given fields)", [] {
    json body = endpoint_body(false);
    if (body.empty()) usage("nothing to update: give at least one field option");
    show_object(
        client().call("PATCH", tenant_path() + "/endpoints/" + url_encode(args().id), body));
  });
  add_tenant(update);
  update->add_option("endpoint_id", args().id, "endpoint id")->required();
  add_endpoint_fields(update);
  auto* remove = leaf(group, "delete", "Delete an endpoint", [] {
    client().call("DELETE", tenant_path() + "/endpoints/" + url_encode(args().id));
    if (args().json_output) std::cout << "{}" << std::endl;
    else std::cout << "deleted " << args().id << "\n";
  });
  add_tenant(remove);
  remove->add_option("endpoint_id", args().id, "endpoint id")->required();
  auto* rotate = leaf(group, "rotate-secret",
                      "New signing secret; the old one keeps signing for 24 h", [] {
                        show_object(client().call("POST", tenant_path() + "/endpoints/" +
                                                              url_encode(args().id) +
                                                              "/rotate-secret"));
                      });
  add_tenant(rotate);
  rotate->add_option("endpoint_id", args().id, "endpoint id")->required();
}

// --data as minified JSON text, as written (a parsed document would round big numbers).
std::string read_event_data(const std::string& text) {
  std::string source = text;
  if (text.starts_with("@")) {
    std::ifstream in(text.substr(1), std::ios::binary);
    if (!in) usage("cannot read " + text.substr(1));
    std::stringstream buffer;
    buffer << in.rdbuf();
    source = buffer.str();
  }
  auto data = minify_json(source, kMaxJsonDepth);
  if (!data) usage("--data is not valid JSON: " + data.error().message);
  return std::move(*data);
}

void import_events_command() {
  auto& a = args();
  if (a.batch_size < 1 || a.batch_size > 1000) usage("--batch-size must be 1 to 1000");
  std::ifstream file;
  std::istream* in = &std::cin;
  if (a.file != "-") {
    file.open(a.file, std::ios::binary);
    if (!file) usage("cannot read " + a.file);
    in = &file;
  }
  ImportOptions options{.events_path = tenant_path() + "/events/batch",
                        .batch_size = a.batch_size};
  const bool tty = ::isatty(STDERR_FILENO);  // a progress line only on a terminal
  auto summary = import_events(*in, client(), options, [tty](const ImportSummary& s) {
    if (!tty) return;
    std::cerr << "\rsent " << s.accepted + s.replayed + s.refused << " events: " << s.accepted
              << " accepted, " << s.replayed << " replayed, " << s.refused << " refused"
              << std::flush;
  });
  if (tty) std::cerr << "\n";
  print_import_summary(std::cout, summary);
  if (summary.refused > 0) throw CLI::RuntimeError(1);
}

void register_events(CLI::App& app) {
  auto* group = app.add_subcommand("events", "Send and inspect events");
  group->require_subcommand(1);
  auto& a = args();
  auto* send = leaf(group, "send", "Send an event (fans out to matching endpoints)", [] {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!args().idempotency_key.empty())
      headers.emplace_back("Idempotency-Key", args().idempotency_key);
    std::string body = "{\"type\":" + json(args().type).dump() +
                       ",\"data\":" + read_event_data(args().data) + "}";
    show_object(client().call_text("POST", tenant_path() + "/events", body, headers));
  });
  add_tenant(send);
  send->add_option("--type", a.type, "event type, e.g. order.created")->required();
  send->add_option("--data", a.data, "JSON payload, or @file")->required();
  send->add_option("--idempotency-key", a.idempotency_key, "same key within 24 h: sent once");
  auto* import = leaf(group, "import",
                     "Send newline-delimited JSON events ({type, data, idempotency_key?} per "
                     "line) from a file or stdin, in batches",
                     import_events_command);
  add_tenant(import);
  import->add_option("file", a.file, "NDJSON file, or - for stdin (the default)");
  import->add_option("--batch-size", a.batch_size, "events per request, 1 to 1000 (default 1000)");
  auto* list = leaf(group, "list", "List events", [] {
    show_list(client().call("GET", tenant_path() + "/events" +
                                       list_query({{"type", args().type}, {"since", args().since}})),
              kEventColumns);
  });
  add_tenant(list);
  list->add_option("--type", a.type, "only this event type");
  list->add_option("--since", a.since, "only events created at or after (RFC 3339)");
  list->add_option("--limit", a.limit, "page size");
  auto* show_cmd = leaf(group, "show", "Show an event with its deliveries", [] {
    show(client().call("GET", tenant_path() + "/events/" + url_encode(args().id)),
         [](const json& event) {
           json summary = event;
           summary.erase("data");
           print_object(std::cout, summary);
           std::cout << "data: " << event.value("data", json()).dump() << "\n\n";
           print_table(std::cout, event.value("deliveries", json::array()), kDeliveryColumns);
         });
  });
  add_tenant(show_cmd);
  show_cmd->add_option("event_id", a.id, "event id")->required();
}

void print_delivery(const json& delivery) {
  json summary = delivery;
  summary.erase("last_attempt");
  print_object(std::cout, summary);
  std::cout << "\n";
  print_table(std::cout, delivery.value("attempts", json::array()), kAttemptColumns);
}

void register_deliveries(CLI::App& app) {
  auto& a = args();
  auto* group = app.add_subcommand("deliveries", "Inspect deliveries");
  group->require_subcommand(1);
  auto* list = leaf(group, "list", "List deliveries", [] {
    show_list(client().call("GET", tenant_path() + "/deliveries" +
                                       list_query({{"status", args().status},
                                                   {"endpoint_id", args().endpoint_id},
                                                   {"event_id", args().event_id}})),
              kDeliveryColumns);
  });
  add_tenant(list);
  list->add_option("--status", a.status, "pending|succeeded|dead")
      ->check(CLI::IsMember({"pending", "succeeded", "dead"}));
  list->add_option("--endpoint", a.endpoint_id, "only this endpoint");
  list->add_option("--event", a.event_id, "only this event");
  list->add_option("--limit", a.limit, "page size");
  auto* show_cmd = leaf(group, "show", "Show a delivery with every attempt", [] {
    show(client().call("GET", tenant_path() + "/deliveries/" + url_encode(args().id)),
         print_delivery);
  });
  add_tenant(show_cmd);
  show_cmd->add_option("delivery_id", a.id, "delivery id")->required();

  auto* dead = leaf(&app, "dead-letters", "List the failure queue (dead deliveries)", [] {
    show_list(client().call("GET", tenant_path() + "/dead-letters" +
                                       list_query({{"endpoint_id", args().endpoint_id}})),
              kDeliveryColumns);
  });
  add_tenant(dead);
  dead->add_option("--limit", a.limit, "page size");
  auto* replay = leaf(&app, "replay", "Queue a delivery again with a fresh retry schedule", [] {
    auto answer = client().call(
        "POST", tenant_path() + "/deliveries/" + url_encode(args().id) + "/replay");
    if (args().json_output) std::cout << (answer.body.empty() ? "{}" : answer.body) << std::endl;
    else std::cout << "replaying " << args().id << "\n";
  });
  add_tenant(replay);
  replay->add_option("delivery_id", a.id, "delivery id")->required();
}

// Number of pending deliveries of the endpoint (up to 1000: one page).
std::size_t pending_count() {
  auto answer = client().call("GET", tenant_path() + "/deliveries?status=pending&limit=1000&" +
                                         "endpoint_id=" + url_encode(args().endpoint_id));
  return answer.json.value("data", json::array()).size();
}

void draw_progress(std::size_t done, std::size_t total) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
            << done << "/" << total << " delivered or settled" << std::flush;
}

void recover() {
  auto& a = args();
  auto answer = client().call("POST",
                              tenant_path() + "/endpoints/" + url_encode(a.endpoint_id) + "/recover",
                              json{{"since", a.since}});
  const auto replayed = answer.json.value("replayed", std::int64_t{0});
  if (a.json_output) {
    std::cout << answer.body << std::endl;
  } else {
    std::cout << "replayed " << replayed << " dead letters of " << a.endpoint_id << "\n";
  }
  if (a.no_wait || replayed <= 0) return;
  const auto total = static_cast<std::size_t>(replayed);
  const bool tty = ::isatty(STDERR_FILENO);
  for (;;) {
    const std::size_t pending = std::min(pending_count(), total);
    if (tty || pending == 0) draw_progress(total - pending, total);
    if (pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // polling a remote server
  }
  std::cerr << "\n";
  auto dead = client().call("GET", tenant_path() + "/dead-letters?limit=1000&endpoint_id=" +
                                       url_encode(a.endpoint_id));
  if (!a.json_output) {
    std::cout << "done; dead letters of this endpoint now: "
              << dead.json.value("data", json::array()).size() << "\n";
  }
}

}  // namespace

void register_client_commands(CLI::App& app) {
  register_tenants(app);
  register_api_keys(app);
  register_endpoints(app);
  register_events(app);
  register_deliveries(app);
  auto& a = args();
  auto* recover_cmd = leaf(&app, "recover",
                           "Replay an endpoint's dead letters since a time, with progress", recover);
  add_tenant(recover_cmd);
  recover_cmd->add_option("--endpoint", a.endpoint_id, "endpoint id")->required();
  recover_cmd->add_option("--since", a.since, "RFC 3339 time, e.g. 2026-11-29T00:00:00Z")
      ->required();
  recover_cmd->add_flag("--no-wait", a.no_wait, "return after queueing; no progress bar");
}

}  // namespace axon::cli
