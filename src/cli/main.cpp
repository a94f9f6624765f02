// axon-webhooks: the one binary. `serve` and `migrate` run the service; the other
// subcommands are clients and tools.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "app/app.hpp"
#include "app/credentials.hpp"
#include "app/master_key_rotation.hpp"
#include "app/serve_options.hpp"
#include "cli/commands.hpp"
#include "core/duration.hpp"

namespace {

// Reads `env` into `target` when set; flags parsed afterwards override it.
void from_env(const char* env, std::string& target) {
  if (const char* v = std::getenv(env); v && *v) target = v;
}

void add_serve(CLI::App& app, axon::ServeOptions& options, std::string& listen,
               std::string& schedule, std::string& timeout, std::string& auto_disable,
               std::string& retention, std::string& admin_token) {
  auto* serve = app.add_subcommand("serve", "Run the webhook service (API + dispatcher)");
  serve->add_option("--db", options.db_url, "sqlite:PATH or postgres://… [env AXON_DB]");
  serve->add_option("--notify-db", options.notify_db_url,
                    "direct PostgreSQL URL for LISTEN when --db is a transaction-mode pooler; "
                    "without it, nodes behind a pooler poll every second [env AXON_NOTIFY_DB]");
  serve->add_option("--listen", listen, "HOST:PORT; port 0 picks a free port [env AXON_LISTEN]");
  serve->add_option("--admin-token", admin_token,
                    "bearer token for admin calls; generated on first start when unset "
                    "[env AXON_ADMIN_TOKEN]");
  serve->add_option("--retry-schedule", schedule,
                    "delays before each retry, e.g. 5s,5m,30m [env AXON_RETRY_SCHEDULE]");
  serve->add_option("--request-timeout", timeout,
                    "whole-request limit per attempt [env AXON_REQUEST_TIMEOUT]");
  serve->add_flag("--allow-private-targets", options.allow_private_targets,
                  "allow loopback/private targets (dev and tests only) "
                  "[env AXON_ALLOW_PRIVATE_TARGETS=1]");
  serve->add_option("--master-key-file", options.master_key_file,
                    "file holding the master key (created on first start) "
                    "[env AXON_MASTER_KEY_FILE; AXON_MASTER_KEY holds the key itself]");
  serve->add_option("--ca-file", options.ca_file,
                    "PEM certificates trusted for https endpoints in addition to the system "
                    "store [env AXON_CA_FILE]");
  serve->add_option("--egress-proxy", options.egress_proxy,
                    "send every delivery through this HTTP proxy, http://host:port "
                    "[env AXON_EGRESS_PROXY]");
  serve->add_option("--auto-disable-after", auto_disable,
                    "disable an endpoint failing for this long [default 5d as 120h]");
  serve->add_option("--retention", retention,
                    "delete finished events (with deliveries and attempts) older than this, "
                    "0 = keep everything [env AXON_RETENTION; default 30d]");
  serve->add_option("--operational-failing-after", options.operational_failing_after,
                    "send delivery.failing after this many failed attempts in a row, 0 = never "
                    "[env AXON_OPERATIONAL_FAILING_AFTER; default 3]")
      ->check(CLI::Range(0, 1000));
  serve->add_option("--api-threads", options.api_threads,
                    "HTTP server threads [default: one per CPU core, 2 to 8, on SQLite; 8 on "
                    "PostgreSQL]")
      ->check(CLI::Range(1, 64));
  serve->add_option("--api-rate-limit", options.api_rate_limit,
                    "API requests per second per credential, 0 = off [env AXON_API_RATE_LIMIT]")
      ->check(CLI::NonNegativeNumber);
  serve->add_option("--api-rate-burst", options.api_rate_burst,
                    "API request burst per credential [default 2 x --api-rate-limit]")
      ->check(CLI::NonNegativeNumber);
  serve->add_option("--max-endpoints-per-tenant", options.max_endpoints_per_tenant,
                    "endpoints one tenant may have; one more answers 422 limit_exceeded "
                    "[env AXON_MAX_ENDPOINTS_PER_TENANT; default 1000]")
      ->envname("AXON_MAX_ENDPOINTS_PER_TENANT")  // CLI11 validates the variable like the flag
      ->check(CLI::Range(1, 1'000'000));
  serve->add_option("--log-level", options.log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  serve->add_option("--log-format", options.log_format, "text|json")
      ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Axon Webhooks: signed, retried, at-least-once webhook delivery"};
  app.set_version_flag("--version", std::string("axon-webhooks ") + AXON_VERSION);
  app.require_subcommand(1);

  axon::ServeOptions options;
  std::string listen = "127.0.0.1:8080", schedule = axon::kDefaultRetrySchedule,
              timeout = "15s", auto_disable = "120h", retention = "30d", admin_token;
  from_env("AXON_DB", options.db_url);
  from_env("AXON_NOTIFY_DB", options.notify_db_url);
  from_env("AXON_LISTEN", listen);
  from_env("AXON_RETRY_SCHEDULE", schedule);
  from_env("AXON_REQUEST_TIMEOUT", timeout);
  from_env("AXON_RETENTION", retention);
  from_env("AXON_ADMIN_TOKEN", admin_token);
  from_env("AXON_LOG_LEVEL", options.log_level);
  from_env("AXON_LOG_FORMAT", options.log_format);
  if (const char* v = std::getenv("AXON_ALLOW_PRIVATE_TARGETS"); v && std::string(v) == "1")
    options.allow_private_targets = true;
  if (const char* v = std::getenv("AXON_MASTER_KEY_FILE"); v && *v) options.master_key_file = v;
  if (const char* v = std::getenv("AXON_CA_FILE"); v && *v) options.ca_file = v;
  if (const char* v = std::getenv("AXON_EGRESS_PROXY"); v && *v) options.egress_proxy = v;
  if (const char* v = std::getenv("AXON_API_RATE_LIMIT"); v && *v) {
    options.api_rate_limit = std::strtod(v, nullptr);
  }
  if (const char* v = std::getenv("AXON_PG_POOL_SIZE"); v && *v) {
    options.pg_pool_size = std::clamp(std::atoi(v), 1, 64);
  }
  if (const char* v = std::getenv("AXON_PG_QUEUE_VACUUM_ROWS"); v && *v) {
    options.pg_queue_vacuum_rows = std::max<long long>(0, std::atoll(v));
  }
  if (const char* v = std::getenv("AXON_OPERATIONAL_FAILING_AFTER"); v && *v) {
    options.operational_failing_after = std::clamp(std::atoi(v), 0, 1000);
  }
  add_serve(app, options, listen, schedule, timeout, auto_disable, retention, admin_token);

  std::string migrate_db = options.db_url;
  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the schema and exit");
  migrate->add_option("--db", migrate_db, "sqlite:PATH or postgres://… [env AXON_DB]");

  std::string rotate_db = options.db_url, new_key_file;
  std::optional<std::string> rotate_old_key_file = options.master_key_file;
  auto* rotate_key = app.add_subcommand(
      "rotate-master-key",
      "Re-seal every endpoint secret under a new master key (stop serve first; see "
      "docs/operations.md, 'Rotating the master key')");
  rotate_key->add_option("--db", rotate_db, "sqlite:PATH or postgres://… [env AXON_DB]");
  rotate_key->add_option("--master-key-file", rotate_old_key_file,
                         "the current key file [env AXON_MASTER_KEY_FILE; AXON_MASTER_KEY "
                         "holds the key itself]");
  rotate_key->add_option("--new-key-file", new_key_file,
                         "file with the new key; created (0600, random key) when absent")
      ->required();

  axon::cli::register_verify_command(app);
  axon::cli::register_listen_command(app);
  axon::cli::register_client_commands(app);
  axon::cli::register_backup_command(app);

  CLI11_PARSE(app, argc, argv);

  auto usage_error = [](const std::string& message) {
    std::cerr << "axon-webhooks: " << message << std::endl;
    return 2;
  };

  if (app.got_subcommand("migrate")) {
    axon::configure_logging(options.log_level, options.log_format);
    return axon::run_migrate(migrate_db);
  }
  if (app.got_subcommand("rotate-master-key")) {
    axon::configure_logging(options.log_level, options.log_format);
    const char* env_key = std::getenv("AXON_MASTER_KEY");
    return axon::run_rotate_master_key(
        rotate_db, env_key && *env_key ? std::optional<std::string>(env_key) : std::nullopt,
        rotate_old_key_file.value_or(axon::default_master_key_file(rotate_db)), new_key_file);
  }
  if (!app.got_subcommand("serve")) return 0;  // another subcommand already ran

  auto address = axon::parse_listen_address(listen);
  if (!address) return usage_error("--listen: " + address.error().message);
  options.listen_host = address->first;
  options.listen_port = address->second;
  auto parsed_schedule = axon::parse_duration_list(schedule);
  if (!parsed_schedule) return usage_error("--retry-schedule: " + parsed_schedule.error().message);
  options.retry_schedule = *parsed_schedule;
  auto parsed_timeout = axon::parse_duration(timeout);
  if (!parsed_timeout || *parsed_timeout <= 0)
    return usage_error("--request-timeout: must be a positive duration like 15s");
  options.request_timeout = *parsed_timeout;
  auto parsed_disable = axon::parse_duration(auto_disable);
  if (!parsed_disable) return usage_error("--auto-disable-after: " + parsed_disable.error().message);
  options.auto_disable_after = *parsed_disable;
  auto parsed_retention = axon::parse_retention(retention);
  if (!parsed_retention) return usage_error("--retention: " + parsed_retention.error().message);
  options.retention = *parsed_retention;
  if (!admin_token.empty()) options.admin_token = admin_token;

  axon::configure_logging(options.log_level, options.log_format);
  return axon::run_serve(options);
}
