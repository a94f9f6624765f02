// Subcommands other than serve/migrate. Each register_* adds its subcommand(s) to the app
// with a callback that does the work; a callback signals a non-zero exit status by throwing
// CLI::RuntimeError(status), which CLI11_PARSE turns into the process exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace axon::cli {

void register_verify_command(CLI::App& app);   // axon-webhooks verify
void register_listen_command(CLI::App& app);   // axon-webhooks listen
void register_client_commands(CLI::App& app);  // tenants, endpoints, events, … over the API
void register_backup_command(CLI::App& app);   // axon-webhooks backup (SQLite)

}  // namespace axon::cli
