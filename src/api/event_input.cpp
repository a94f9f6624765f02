#include "api/event_input.hpp"

#include "core/envelope.hpp"
#include "core/json_text.hpp"

namespace axon::api {
namespace {

constexpr std::size_t kMaxIdempotencyKeyChars = 255;

// Deepest nesting of minified, valid JSON (a scalar is 0, [] and {} are 1).
int json_depth(std::string_view json) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

std::unexpected<Error> wrong_kind(std::string_view field, std::string_view wanted,
                                  std::string_view value) {
  return fail(Errc::invalid_request, std::string(field) + " must be " + std::string(wanted) +
                                         ", not " + std::string(json_kind_name(json_kind(value))));
}

}  // namespace

Result<std::string> checked_idempotency_key(std::string_view key, std::string_view field) {
  bool printable = !key.empty() && key.size() <= kMaxIdempotencyKeyChars;
  for (char c : key) printable = printable && c >= 0x20 && c <= 0x7E;
  if (!printable) {
    return fail(Errc::invalid_request,
                std::string(field) + " must be 1 to 255 printable ASCII characters");
  }
  return std::string(key);
}

Result<EventInput> read_event_input(std::string_view object, bool key_in_body) {
  // One pass over the members: `data` is most of the text, scanning it once per field would
  // cost more than everything else an event needs.
  std::optional<std::string_view> type, data, key;
  for (const JsonMember& member : json_members(object)) {
    if (member.name == "type") type = member.value;
    else if (member.name == "data") data = member.value;
    else if (member.name == "idempotency_key") key = member.value;
  }
  EventInput input;
  if (!type || json_kind(*type) == JsonKind::null) {
    return fail(Errc::invalid_request, "type is required");
  }
  if (json_kind(*type) != JsonKind::string) return wrong_kind("type", "a string", *type);
  input.type = json_string_value(*type);
  if (!is_valid_event_type(input.type)) {
    return fail(Errc::validation_failed,
                "type must match ^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$ and be at most 128 "
                "characters");
  }
  if (!data) return fail(Errc::invalid_request, "data is required");
  if (json_depth(*data) > kMaxJsonDepth) {
    return fail(Errc::validation_failed,
                "data is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  input.data = *data;
  if (!key_in_body) return input;
  if (!key || json_kind(*key) == JsonKind::null) return input;
  if (json_kind(*key) != JsonKind::string) return wrong_kind("idempotency_key", "a string", *key);
  auto checked = checked_idempotency_key(json_string_value(*key), "idempotency_key");
  if (!checked) return std::unexpected(checked.error());
  input.idempotency_key = std::move(*checked);
  return input;
}

Result<std::vector<std::string_view>> read_batch_events(std::string_view body) {
  auto events = json_member(body, "events");
  if (!events || json_kind(*events) != JsonKind::array) {
    return fail(Errc::invalid_request,
                "the body must be an object with an \"events\" array: {\"events\": [{\"type\": "
                "…, \"data\": …}, …]}");
  }
  auto elements = json_elements(*events);
  if (elements.empty() || elements.size() > kMaxBatchEvents) {
    return fail(Errc::invalid_request, "events must hold 1 to " + std::to_string(kMaxBatchEvents) +
                                           " events, not " + std::to_string(elements.size()));
  }
  return elements;
}

}  // namespace axon::api
