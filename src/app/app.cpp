#include "app/app.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "api/server.hpp"
#include "app/credentials.hpp"
#include "app/egress_options.hpp"
#include "app/log_formatter.hpp"
#include "app/master_key_check.hpp"
#include "app/metrics.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "core/secret_box.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/operational_emitter.hpp"
#include "retention/purger.hpp"
#include "store/store.hpp"

namespace axon {
namespace {

std::unique_ptr<Store> open_and_migrate(const std::string& db_url,
                                        const StoreOptions& store_options = {}) {
  auto store = open_store(db_url, store_options);
  if (!store) {
    spdlog::error("cannot open store {}: {}", db_url.starts_with("sqlite:") ? db_url : "(postgres)",
                  store.error().message);
    return nullptr;
  }
  if (auto migrated = (*store)->migrate(); !migrated) {
    spdlog::error("migration failed: {}", migrated.error().message);
    return nullptr;
  }
  // The reserved tenant that receives every tenant's operational events.
  if (auto bootstrapped = ensure_operator_tenant(**store, SystemClock().now_ms()); !bootstrapped) {
    spdlog::error("cannot create the operator tenant: {}", bootstrapped.error().message);
    return nullptr;
  }
  return std::move(*store);
}

// Header lists written before they were sealed (store/sealed_headers.hpp) are sealed now that
// the key is known, in batches, before anything else reads them.
bool seal_old_header_lists(Store& store) {
  constexpr int kBatch = 500;
  int sealed = 0;
  for (;;) {
    auto batch = store.seal_plain_headers(kBatch);
    if (!batch) {
      spdlog::error("cannot seal stored endpoint headers: {}", batch.error().message);
      return false;
    }
    if (*batch == 0) break;
    sealed += *batch;
  }
  if (sealed > 0) spdlog::info("sealed the custom headers of {} endpoints", sealed);
  return true;
}

std::string lease_owner_id(Random& random) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" +
         std::to_string(random.next_u64() % 1'000'000);
}

}  // namespace

void configure_logging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_logger_mt("axon");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_formatter(make_log_formatter(format == "json" ? LogFormat::json : LogFormat::logfmt));
}

int run_migrate(const std::string& db_url) {
  auto store = open_and_migrate(db_url);
  if (!store) return 1;
  std::cout << "schema is up to date" << std::endl;
  return 0;
}

int run_serve(const ServeOptions& options) {
  // Signals are taken synchronously by this thread only; every thread started below
  // inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  SecureRandom random;
  IdGenerator ids(clock, random);

  auto store = open_and_migrate(
      options.db_url, {.notify_db_url = options.notify_db_url,
                       .pg_pool_size = options.pg_pool_size,
                       .pg_queue_vacuum_rows = options.pg_queue_vacuum_rows});
  if (!store) return 1;

  const char* env_key = std::getenv("AXON_MASTER_KEY");
  std::string key_file = options.master_key_file.value_or(default_master_key_file(options.db_url));
  auto master_key = load_master_key(env_key ? std::optional<std::string>(env_key) : std::nullopt,
                                    key_file, random);
  if (!master_key) {
    spdlog::error("{}", master_key.error().message);
    return 1;
  }
  auto secrets = SecretBox::create(*master_key);
  if (!secrets) {
    spdlog::error("{}", secrets.error().message);
    return 1;
  }
  if (auto checked = check_master_key(*store, *master_key); !checked) {
    spdlog::error("cannot start: {}", checked.error().message);
    return 1;
  }
  const HeaderSealer header_sealer(*secrets, random);
  store->seal_headers_with(header_sealer);
  if (!seal_old_header_lists(*store)) return 1;

  auto admin = resolve_admin_token(*store, options.admin_token, random);
  if (!admin) {
    spdlog::error("cannot set up the admin token: {}", admin.error().message);
    return 1;
  }
  if (admin->generated) {
    std::cerr << "admin token (shown once, keep it safe): " << *admin->generated << std::endl;
  }
  if (options.allow_private_targets) {
    spdlog::warn(
        "--allow-private-targets is on: deliveries may reach loopback and private networks "
        "(development and tests only)");
  }

  auto egress = load_egress_options(options.ca_file, options.egress_proxy);
  if (!egress) {
    spdlog::error("{}", egress.error().message);
    return 1;
  }
  if (egress->proxy) spdlog::info("every delivery goes through the egress proxy {}", *egress->proxy);

  DispatcherOptions dispatch_options;
  dispatch_options.owner = lease_owner_id(random);
  dispatch_options.egress = std::move(*egress);
  if (!options.retry_schedule.empty())
    dispatch_options.retry_policy = RetryPolicy(options.retry_schedule);
  dispatch_options.request_timeout = options.request_timeout;
  dispatch_options.connect_timeout = std::min<Millis>(options.request_timeout, 10'000);
  dispatch_options.allow_private_targets = options.allow_private_targets;
  dispatch_options.auto_disable_after = options.auto_disable_after;
  dispatch_options.operational_failing_after = options.operational_failing_after;
  Metrics metrics;
  dispatch_options.metrics = &metrics;
  Dispatcher dispatcher(*store, *secrets, clock, random, dispatch_options);
  Purger purger(*store, clock, RetentionPolicy(options.retention));
  MetricsRenderer metrics_renderer(*store, metrics, dispatcher.stats(), clock, &purger);
  store->set_work_callback([&dispatcher] { dispatcher.notify(); });

  ApiOptions api_options;
  api_options.host = options.listen_host;
  api_options.port = options.listen_port;
  api_options.threads = options.api_threads.value_or(
      default_api_threads(options.db_url, std::thread::hardware_concurrency()));
  api_options.allow_private_targets = options.allow_private_targets;
  api_options.rate_limit = options.api_rate_limit;
  api_options.max_endpoints_per_tenant = options.max_endpoints_per_tenant;
  api_options.rate_limit_burst =
      options.api_rate_burst > 0 ? options.api_rate_burst : 2 * options.api_rate_limit;
  ApiContext context{
      .store = *store,
      .secrets = *secrets,
      .clock = clock,
      .random = random,
      .ids = ids,
      .admin_token_hash = admin->hash,
      .on_events_ingested = [&dispatcher] { dispatcher.notify(); },
      .metrics_text = [&metrics_renderer] { return metrics_renderer.render(); },
      .metrics = &metrics,
  };
  ApiServer server(context, api_options);
  auto port = server.start();
  if (!port) {
    spdlog::error("cannot listen on {}:{}: {}", options.listen_host, options.listen_port,
                  port.error().message);
    return 1;
  }
  dispatcher.start();
  purger.start();
  std::string shown_host = options.listen_host.find(':') != std::string::npos
                               ? "[" + options.listen_host + "]"
                               : options.listen_host;
  std::cout << "listening on http://" << shown_host << ":" << *port << std::endl;
  spdlog::info("serving on {}:{} with store {}", shown_host, *port,
               options.db_url.starts_with("sqlite:") ? options.db_url : "postgres");

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}: stopping intake, finishing in-flight deliveries",
               signal_number);
  server.stop();
  purger.stop();
  dispatcher.stop(10'000);
  spdlog::info("stopped");
  return 0;
}

}  // namespace axon
