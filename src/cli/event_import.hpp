// `axon-webhooks events import`: newline-delimited JSON events ({"type", "data",
// "idempotency_key"?} per line) from a stream, sent through POST …/events/batch in batches,
// each line's text kept as written (numbers and all). Blank lines are skipped; a line that is
// not a JSON object is refused here without being sent.
// Thread-safety: one import per thread.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/client_http.hpp"

namespace axon::cli {

struct ImportSummary {
  std::size_t accepted = 0;  // new events
  std::size_t replayed = 0;  // idempotency key seen within 24 h: nothing created
  std::size_t refused = 0;
  std::vector<std::string> refusals;  // "line N: code: message", in line order
};

struct ImportOptions {
  std::string events_path;           // POST target: /v1/tenants/{tid}/events/batch
  std::size_t batch_size = 1000;     // events per request (1 to 1,000)
  std::size_t max_batch_bytes = 4 * 1024 * 1024 - 1024;  // stays under the server's limit
};

// Reads `in` to its end, sending full batches as they fill. `on_progress` is called after
// each batch with the summary so far.
ImportSummary import_events(std::istream& in, const ApiClient& client,
                            const ImportOptions& options,
                            const std::function<void(const ImportSummary&)>& on_progress);

// "accepted 10, replayed 2, refused 1" and then one line per refusal (at most `max_listed`,
// then how many more).
void print_import_summary(std::ostream& out, const ImportSummary& summary,
                          std::size_t max_listed = 20);

}  // namespace axon::cli
