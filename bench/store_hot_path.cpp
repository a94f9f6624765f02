// bench_store_hot_path: the database's share of one delivery, without HTTP or the dispatcher.
// Against a database it ingests --events events of one tenant fanned out to
// --endpoints endpoints (batches of 100 events per ingest_events call), then drains them as
// the dispatcher would: claim_due batches of --batch, each completed as succeeded in one
// complete_attempts call. It prints the database's CPU per delivery for each phase: the
// PostgreSQL server's (the postmaster given by --db-pid and its backends), or for SQLite this
// process's own (SQLite runs inside it, with its checkpointer thread):
//
//   bench_store_hot_path --db postgres://… --db-pid POSTMASTER_PID [--events 10000]
//                        [--endpoints 10] [--batch 256]
//   bench_store_hot_path --db sqlite:PATH [--events 10000] [--endpoints 10] [--batch 256]
//
// RESULT line: ingest_db_us, claim_db_us, complete_db_us (the database's CPU µs per delivery),
// drain_db_us (claim + complete), drain_rate (deliveries/s of claim + complete alone),
// outcome_hot_pct (the share of axon.deliveries updates that were HOT, i.e. wrote no index
// entry, from pg_stat_user_tables; -1 if the statistics did not arrive).
#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "server_process.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace {

struct Args {
  std::string db;
  pid_t db_pid = 0;
  int events = 10000;
  int endpoints = 10;
  int batch = 256;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--db") a.db = v;
    else if (k == "--db-pid") a.db_pid = static_cast<pid_t>(std::atol(v));
    else if (k == "--events") a.events = std::atoi(v);
    else if (k == "--endpoints") a.endpoints = std::atoi(v);
    else if (k == "--batch") a.batch = std::atoi(v);
    else return false;
  }
  const bool sqlite = a.db.starts_with("sqlite:");
  return !a.db.empty() && (sqlite || a.db_pid > 0) && a.events > 0 && a.endpoints > 0 &&
         a.batch > 0;
}

template <typename T>
T must(axon::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "bench_store_hot_path: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void must(const axon::Result<void>& r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "bench_store_hot_path: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
}

// The database's CPU so far: this process's for SQLite (pid 0), else the PostgreSQL server's;
// a backend that exits while /proc is read makes the read fail (ESRCH), so it is read again.
double db_cpu(pid_t postmaster) {
  if (postmaster == 0) {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  }
  for (int tries = 0;; ++tries) {
    try {
      return bench::process_tree_cpu_seconds(postmaster);
    } catch (const std::exception&) {
      if (tries == 10) throw;
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The percentage of axon.deliveries' updates that were HOT, once the statistics of at least
// `updates` updates have been reported (sessions report theirs when they end), or -1.
double hot_update_percent(const std::string& db, long updates) {
  axon::pg::PgConnection conn(db);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  do {
    axon::pg::PgResult r = conn.exec(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
        "WHERE schemaname = 'axon' AND relname = 'deliveries'");
    if (r.rows() == 1 && r.i64(0, 0) >= updates) {
      return 100.0 * static_cast<double>(r.i64(0, 1)) / static_cast<double>(r.i64(0, 0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: bench_store_hot_path --db postgres://… --db-pid PID | --db sqlite:PATH "
                 "[--events N] [--endpoints N] [--batch N]\n");
    return 2;
  }
  axon::SystemClock clock;
  axon::SecureRandom random;
  axon::IdGenerator ids(clock, random);
  auto store = must(axon::open_store(args.db), "open");
  must(store->migrate(), "migrate");
  const axon::Millis now = clock.now_ms();
  auto tenant = must(store->create_tenant(axon::Tenant{ids.next(axon::id_prefix::tenant), "bench", now}),
                     "create_tenant");
  for (int i = 0; i < args.endpoints; ++i) {
    axon::Endpoint e;
    e.id = ids.next(axon::id_prefix::endpoint);
    e.tenant_id = tenant.id;
    e.url = "http://127.0.0.1:9/hook";
    e.secret_sealed = "sealed";
    e.created_at = e.updated_at = now;
    must(store->create_endpoint(e, axon::Store::kNoEndpointLimit), "create_endpoint");
  }
  const auto new_delivery_id = [&] { return ids.next(axon::id_prefix::delivery); };

  const double ingest_cpu0 = db_cpu(args.db_pid);
  for (int done = 0; done < args.events;) {
    std::vector<axon::NewEvent> events;
    for (; done < args.events && events.size() < 100; ++done) {
      axon::NewEvent ev;
      ev.id = ids.next(axon::id_prefix::event);
      ev.tenant_id = tenant.id;
      ev.type = "order.created";
      ev.payload = "{\"id\":\"" + ev.id + "\",\"data\":{\"n\":" + std::to_string(done) + "}}";
      ev.created_at = now;
      events.push_back(std::move(ev));
    }
    must(store->ingest_events(events, now, new_delivery_id), "ingest_events");
  }
  const double ingest_cpu = db_cpu(args.db_pid) - ingest_cpu0;
  const long expected = static_cast<long>(args.events) * args.endpoints;

  double claim_cpu = 0, complete_cpu = 0;
  long drained = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    const axon::Millis at = clock.now_ms();
    double c0 = db_cpu(args.db_pid);
    auto jobs = must(store->claim_due("bench-node", at, 60'000, args.batch), "claim_due");
    double c1 = db_cpu(args.db_pid);
    claim_cpu += c1 - c0;
    if (jobs.empty()) break;
    std::vector<axon::AttemptRecord> records;
    for (const auto& job : jobs) {
      axon::AttemptRecord rec;
      rec.delivery_id = job.delivery_id;
      rec.endpoint_id = job.endpoint_id;
      rec.attempt.n = job.attempt;
      rec.attempt.started_at = at;
      rec.attempt.duration_ms = 1;
      rec.attempt.status_code = 200;
      rec.new_status = axon::DeliveryStatus::succeeded;
      records.push_back(std::move(rec));
    }
    must(store->complete_attempts("bench-node", records, clock.now_ms()), "complete_attempts");
    complete_cpu += db_cpu(args.db_pid) - c1;
    drained += static_cast<long>(jobs.size());
  }
  const double drain_s = seconds_since(t0);
  store.reset();  // its sessions end and report their statistics
  const double hot_pct = args.db_pid ? hot_update_percent(args.db, drained) : -1;
  const auto per = [&](double cpu) { return cpu * 1e6 / static_cast<double>(std::max(1L, drained)); };
  std::printf(
      "RESULT scenario=store_hot_path deliveries=%ld drained=%ld batch=%d ingest_db_us=%.1f "
      "claim_db_us=%.1f complete_db_us=%.1f drain_db_us=%.1f drain_rate=%.0f "
      "outcome_hot_pct=%.0f\n",
      expected, drained, args.batch, ingest_cpu * 1e6 / static_cast<double>(expected),
      per(claim_cpu), per(complete_cpu), per(claim_cpu + complete_cpu),
      static_cast<double>(drained) / drain_s, hot_pct);
  return drained == expected ? 0 : 1;
}
