// The outbox scenario: producers call axon.emit_event on PostgreSQL directly, one event per
// transaction (autocommit), as an application does inside its own transactions. It measures
// what the outbox itself costs: the server sets up the schema, the tenant and its endpoints,
// then stops, so each event fans out to its queued deliveries and nothing drains them.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "loadgen.hpp"
#include "loadgen_support.hpp"
#include "payload.hpp"

namespace bench {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// Emits events until `deadline_ns`; returns how many committed (errors counted apart).
long produce(const std::string& db, const std::string& tenant, std::uint64_t first_seq,
             std::int64_t deadline_ns, std::atomic<long>& errors) {
  Connection c(PQconnectdb(db.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    say(std::string("outbox producer: ") + PQerrorMessage(c.get()));
    errors.fetch_add(1);
    return 0;
  }
  long emitted = 0;
  for (std::uint64_t seq = first_seq; wall_ns() < deadline_ns; ++seq) {
    const std::string data = event_data(seq);
    const char* values[] = {tenant.c_str(), data.c_str()};
    PGresult* r = PQexecParams(c.get(),
                               "SELECT axon.emit_event($1, 'order.updated', $2::jsonb)", 2,
                               nullptr, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      ++emitted;
    } else if (errors.fetch_add(1) == 0) {
      say(std::string("outbox producer: ") + PQresultErrorMessage(r));
    }
    PQclear(r);
  }
  return emitted;
}

}  // namespace

int LoadGen::outbox() {
  if (args_.store != "postgres") {
    say("the outbox scenario needs --store postgres");
    return 1;
  }
  if (!start_server({}) || !setup()) return 1;
  server_.stop();
  const int producers = std::max(1, std::stoi(split_list(args_.clients).front()));
  // Twice: with each producer's COMMIT waiting for its WAL flush (PostgreSQL's default, and
  // what the figure of a durable outbox is), then with synchronous_commit off in the
  // producers' sessions, which shows what the outbox costs apart from the disk's flush.
  int rc = 0;
  std::uint64_t seq_base = 0;
  for (const char* commit : {"durable", "async"}) {
    const bool durable = std::string_view(commit) == "durable";
    const std::string conninfo =
        durable ? args_.db
                : args_.db + (args_.db.find('?') == std::string::npos ? "?" : "&") +
                      "options=-c%20synchronous_commit%3Doff";
    std::atomic<long> emitted{0}, errors{0};
    const double db_cpu0 = db_cpu();
    const std::int64_t t0 = wall_ns();
    const std::int64_t deadline = t0 + static_cast<std::int64_t>(args_.seconds * 1e9);
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      seq_base += std::uint64_t{1} << 40;
      threads.emplace_back([&, first = seq_base] {
        emitted.fetch_add(produce(conninfo, tenant_, first, deadline, errors));
      });
    }
    for (auto& t : threads) t.join();
    const double secs = seconds_between(t0, wall_ns());
    const double db_cpu_s = db_cpu() - db_cpu0;
    const long deliveries = emitted.load() * args_.fanout;
    std::printf(
        "RESULT scenario=outbox store=%s commit=%s producers=%d fanout=%d events=%ld "
        "deliveries=%ld errors=%ld seconds=%.3f rate=%.0f deliveries_rate=%.0f db_cpu_s=%.2f "
        "db_cpu_us_per_delivery=%.1f\n",
        args_.store.c_str(), commit, producers, args_.fanout, emitted.load(), deliveries,
        errors.load(), secs, static_cast<double>(emitted.load()) / secs,
        static_cast<double>(deliveries) / secs, db_cpu_s,
        db_cpu_s * 1e6 / static_cast<double>(std::max(deliveries, 1L)));
    std::fflush(stdout);
    if (emitted.load() == 0 || errors.load() > 0) rc = 1;
  }
  return rc;
}

}  // namespace bench
