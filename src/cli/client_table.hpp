// Human-readable output for the CLI client: aligned text tables and key/value blocks.
// Thread-safety: pure functions writing to the given stream.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace axon::cli {

// A column: its heading and the JSON field (nested with '.', e.g. "last_attempt.error").
struct Column {
  std::string heading;
  std::string field;
};

// One row per element of `items`; an empty list prints "(none)".
void print_table(std::ostream& out, const nlohmann::json& items, const std::vector<Column>& columns);
// "field: value" lines for every top-level member of an object (nested values as JSON).
void print_object(std::ostream& out, const nlohmann::json& object);
// A JSON value as a table cell: strings bare, null as "-", the rest as JSON.
std::string cell_text(const nlohmann::json& value);
const nlohmann::json& field_at(const nlohmann::json& object, const std::string& path);

}  // namespace axon::cli
