#include "cli/client_table.hpp"

#include <algorithm>

namespace axon::cli {

const nlohmann::json& field_at(const nlohmann::json& object, const std::string& path) {
  static const nlohmann::json kNull;
  const nlohmann::json* node = &object;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(key)) return kNull;
    node = &(*node)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *node;
}

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array() && std::all_of(value.begin(), value.end(),
                                      [](const auto& v) { return v.is_string(); })) {
    std::string joined;
    for (const auto& v : value) joined += (joined.empty() ? "" : ",") + v.get<std::string>();
    return joined.empty() ? "-" : joined;
  }
  return value.dump();
}

void print_table(std::ostream& out, const nlohmann::json& items,
                 const std::vector<Column>& columns) {
  if (!items.is_array() || items.empty()) {
    out << "(none)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(column.heading.size());
  for (const auto& item : items) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      std::string text = cell_text(field_at(item, columns[i].field));
      std::replace(text.begin(), text.end(), '\n', ' ');
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      widths[i] = std::max(widths[i], text.size());
      row.push_back(std::move(text));
    }
    rows.push_back(std::move(row));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    out << text << '\n';
  };
  std::vector<std::string> headings;
  for (const auto& column : columns) headings.push_back(column.heading);
  line(headings);
  for (const auto& row : rows) line(row);
}

void print_object(std::ostream& out, const nlohmann::json& object) {
  if (!object.is_object()) {
    out << object.dump(2) << '\n';
    return;
  }
  std::size_t width = 0;
  for (const auto& [key, value] : object.items()) width = std::max(width, key.size());
  for (const auto& [key, value] : object.items()) {
    if (value.is_array() && !value.empty() && value.front().is_object()) continue;  // tables below
    out << key << ':' << std::string(width - key.size() + 1, ' ') << cell_text(value) << '\n';
  }
}

}  // namespace axon::cli
