// `axon-webhooks backup --db sqlite:PATH --to FILE`: a consistent copy of a SQLite store,
// safe while `serve` runs (store/sqlite/sqlite_backup.hpp). Exit 0 with a summary on stdout;
// 1 when the copy fails; 2 for unusable arguments (including a PostgreSQL --db: use
// pg_dump, see README.md, section "Backups").
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "store/sqlite/sqlite_backup.hpp"

namespace axon::cli {
namespace {

struct BackupOptions {
  std::string db = "sqlite:./var/axon.db";
  std::string to;
  int pages_per_step = 1024;
};

int run_backup(const BackupOptions& options) {
  if (!options.db.starts_with("sqlite:")) {
    std::cerr << "axon-webhooks backup: copies a SQLite store (--db sqlite:PATH); back up "
                 "PostgreSQL with pg_dump (README.md, section \"Backups\")"
              << std::endl;
    return 2;
  }
  // The path without the store's ?options.
  std::string path = options.db.substr(7);
  path = path.substr(0, path.find('?'));
  const auto started = std::chrono::steady_clock::now();
  auto done = sqlite::backup_database(path, options.to, options.pages_per_step);
  if (!done) {
    std::cerr << "axon-webhooks " << done.error().message << std::endl;
    return 1;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  std::cout << "backed up " << path << " to " << options.to << " (" << done->bytes
            << " bytes, " << done->pages << " pages, " << ms << " ms)\n"
            << "keep the master key with it: the endpoint secrets in the copy open only "
               "with the key the nodes of this database use"
            << std::endl;
  return 0;
}

}  // namespace

void register_backup_command(CLI::App& app) {
  auto options = std::make_shared<BackupOptions>();
  if (const char* db = std::getenv("AXON_DB"); db && *db) options->db = db;
  auto* cmd = app.add_subcommand(
      "backup",
      "Copy a SQLite store to a file while serve keeps running (see README.md, section "
      "'Backups')");
  cmd->add_option("--db", options->db, "sqlite:PATH [env AXON_DB]");
  cmd->add_option("--to", options->to, "the backup file to write (replaced when complete)")
      ->required();
  cmd->add_option("--pages-per-step", options->pages_per_step,
                  "database pages copied per step (4 KiB each)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->callback([options] {
    if (int code = run_backup(*options); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace axon::cli
