#include "cli/event_import.hpp"

#include <istream>
#include <ostream>

#include "core/json_text.hpp"

namespace axon::cli {
namespace {

// Deep enough for any event the server takes (its data nests at most 64 levels) and for
// the server to name a too-deep event itself; a line deeper still is refused here.
constexpr int kMaxImportLineDepth = 128;

// The batch being filled: event texts and the input line each came from.
struct PendingBatch {
  std::string body = "{\"events\":[";
  std::vector<std::size_t> lines;

  void add(const std::string& event, std::size_t line) {
    if (!lines.empty()) body += ',';
    body += event;
    lines.push_back(line);
  }
};

void send(PendingBatch& batch, const ApiClient& client, const ImportOptions& options,
          ImportSummary& summary) {
  if (batch.lines.empty()) return;
  batch.body += "]}";
  auto answer = client.call_text("POST", options.events_path, batch.body);
  const auto& results = answer.json.is_object() ? answer.json["data"] : nlohmann::json();
  for (std::size_t i = 0; i < batch.lines.size(); ++i) {
    const auto& result = i < results.size() ? results[i] : nlohmann::json();
    if (result.is_object() && result.contains("id")) {
      ++(result.value("idempotent_replayed", false) ? summary.replayed : summary.accepted);
      continue;
    }
    ++summary.refused;
    const auto error = result.is_object() ? result.value("error", nlohmann::json::object())
                                          : nlohmann::json::object();
    summary.refusals.push_back("line " + std::to_string(batch.lines[i]) + ": " +
                               error.value("code", std::string("error")) + ": " +
                               error.value("message", std::string("no answer for this event")));
  }
  batch = PendingBatch();
}

}  // namespace

ImportSummary import_events(std::istream& in, const ApiClient& client,
                            const ImportOptions& options,
                            const std::function<void(const ImportSummary&)>& on_progress) {
  ImportSummary summary;
  PendingBatch batch;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto event = minify_json(line, kMaxImportLineDepth);
    if (!event || json_kind(*event) != JsonKind::object) {
      ++summary.refused;
      summary.refusals.push_back(
          "line " + std::to_string(number) + ": not sent: " +
          (event ? std::string("an event must be a JSON object") : event.error().message));
      continue;
    }
    if (!batch.lines.empty() && (batch.lines.size() >= options.batch_size ||
                                 batch.body.size() + event->size() + 3 > options.max_batch_bytes)) {
      send(batch, client, options, summary);
      on_progress(summary);
    }
    batch.add(*event, number);
  }
  send(batch, client, options, summary);
  on_progress(summary);
  return summary;
}

void print_import_summary(std::ostream& out, const ImportSummary& summary,
                          std::size_t max_listed) {
  out << "accepted " << summary.accepted << ", replayed " << summary.replayed << ", refused "
      << summary.refused << "\n";
  for (std::size_t i = 0; i < summary.refusals.size() && i < max_listed; ++i) {
    out << "  " << summary.refusals[i] << "\n";
  }
  if (summary.refusals.size() > max_listed) {
    out << "  … and " << summary.refusals.size() - max_listed << " more refused\n";
  }
}

}  // namespace axon::cli
