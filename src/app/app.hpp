// The serve and migrate commands: wires Store, Dispatcher and ApiServer together and owns
// the process lifecycle (signals, graceful shutdown). Everything below app/ is a library
// that knows nothing of processes, signals or environment variables.
#pragma once

#include <string>

#include "app/serve_options.hpp"

namespace axon {

// Runs until SIGINT/SIGTERM; returns the process exit code.
int run_serve(const ServeOptions& options);
int run_migrate(const std::string& db_url);

// Sets up spdlog on stderr: level "trace|debug|info|warn|error", format "text|json".
void configure_logging(const std::string& level, const std::string& format);

}  // namespace axon
