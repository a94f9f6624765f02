#include "support/pg_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "store/postgres/pg_schema.hpp"

namespace axon::test {
namespace {

PgServer* g_shared = nullptr;

std::string find_bindir() {
  for (const char* candidate :
       {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (std::filesystem::exists(std::string(candidate) + "/pg_ctl")) return candidate;
  }
  // Fall back to pg_config (the client package may point at the server's bindir too).
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[512] = {};
    std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (std::filesystem::exists(out + "/pg_ctl")) return out;
  }
  throw std::runtime_error("PostgreSQL server binaries (pg_ctl) not found");
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The unprivileged user the server runs as when we are root.
std::string server_user() {
  if (::getpwnam("postgres")) return "postgres";
  if (!::getpwnam("axon-test") &&
      std::system("useradd --system --no-create-home axon-test >/dev/null 2>&1") != 0) {
    throw std::runtime_error("running as root and cannot create user axon-test");
  }
  return "axon-test";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

PgServer* PgServer::shared() { return g_shared; }
void PgServer::set_shared(PgServer* server) { g_shared = server; }

PgServer::PgServer() : bindir_(find_bindir()) {
  char tmpl[] = "/tmp/axon-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    run_as_ = server_user();
    const passwd* pw = ::getpwnam(run_as_.c_str());
    if (!pw || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot hand " + dir_ + " to " + run_as_);
    }
  }
  port_ = free_port();
  run({bindir_ + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8",
       "--locale=C", "--no-sync"});
  start();
}

PgServer::~PgServer() {
  if (running_) {
    try {
      stop();
    } catch (...) {
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void PgServer::run(const std::vector<std::string>& args) const {
  std::vector<std::string> full;
  if (!run_as_.empty()) full = {"runuser", "-u", run_as_, "--"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string log = dir_ + "/command.log";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("command failed: " + full[run_as_.empty() ? 0 : 4] + "\n" +
                             read_file(log) + read_file(dir_ + "/server.log"));
  }
}

void PgServer::start() {
  const std::string options = "-c port=" + std::to_string(port_) +
                              " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir_ +
                              " -c fsync=off" + " -c full_page_writes=off -c max_connections=200";
  run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60",
       "-o", options, "start"});
  running_ = true;
}

void PgServer::stop() {
  run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
  running_ = false;
}

std::string PgServer::url(std::string_view database) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
}

std::string PgServer::create_database(std::string_view name) {
  std::string db = name.empty() ? "t_" + std::to_string(++next_database_) : std::string(name);
  PGconn* conn = PQconnectdb(url("postgres").c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    // FILE_COPY of the small template is the fastest way with fsync off.
    std::string sql = "CREATE DATABASE \"" + db + "\" TEMPLATE template0 STRATEGY FILE_COPY";
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("CREATE DATABASE " + db + ": " + error);
  return url(db);
}

std::string database_before(PgServer& server, int version, std::string_view old_rows) {
  if (version <= 1) {
    throw std::runtime_error("database_before: no schema before " + std::to_string(version));
  }
  std::string url = server.create_database();
  pg::PgConnection conn(url);
  pg::run_migrations(conn, version - 1);
  conn.exec_script(old_rows);
  return url;
}

std::int64_t pg_scalar(pg::PgConnection& conn, std::string_view sql) {
  return conn.exec(sql).i64(0, 0);
}

AttemptRecord attempt_outcome(const DeliveryJob& job, DeliveryStatus status, Millis at,
                              int status_code) {
  AttemptRecord rec;
  rec.delivery_id = job.delivery_id;
  rec.endpoint_id = job.endpoint_id;
  rec.attempt.n = job.attempt;
  rec.attempt.started_at = at;
  rec.attempt.status_code = status_code;
  rec.new_status = status;
  return rec;
}

namespace {
std::unique_ptr<Store> open_and_migrate(const std::string& url, std::string* url_out) {
  auto store = open_postgres_store(url);
  if (!store) throw std::runtime_error("open_postgres_store: " + store.error().message);
  if (auto ok = (*store)->migrate(); !ok) {
    throw std::runtime_error("migrate: " + ok.error().message);
  }
  if (url_out) *url_out = url;
  return std::move(*store);
}
}  // namespace

std::unique_ptr<Store> open_migrated_pg_store(PgServer& server, std::string* url_out) {
  return open_and_migrate(server.create_database(), url_out);
}

std::unique_ptr<Store> open_upgraded_pg_store(PgServer& server, int version,
                                              std::string_view old_rows, std::string* url_out) {
  return open_and_migrate(database_before(server, version, old_rows), url_out);
}

std::string test_id(std::string_view prefix) {
  static std::atomic<long long> counter{0};
  char digits[32];
  std::snprintf(digits, sizeof digits, "%026lld", ++counter);
  return std::string(prefix) + digits;
}

Tenant add_tenant(Store& store, Millis now) {
  auto tenant = store.create_tenant(Tenant{test_id("ten_"), "tenant", now});
  if (!tenant) throw std::runtime_error("create_tenant: " + tenant.error().message);
  return *tenant;
}

Endpoint add_endpoint(Store& store, const std::string& tenant_id, Millis now,
                      const EndpointSpec& spec) {
  Endpoint e;
  e.id = test_id("ep_");
  e.tenant_id = tenant_id;
  e.url = "http://127.0.0.1:9/hook";
  e.event_types = spec.event_types;
  e.ordering = spec.ordering;
  e.disabled = spec.disabled;
  e.secret_sealed = "sealed-secret";
  e.created_at = e.updated_at = now;
  auto created = store.create_endpoint(e, Store::kNoEndpointLimit);
  if (!created) throw std::runtime_error("create_endpoint: " + created.error().message);
  return *created;
}

IngestResult add_event(Store& store, const std::string& tenant_id, std::string_view type,
                       Millis now, std::optional<std::string> idempotency_key) {
  NewEvent ev;
  ev.id = test_id("evt_");
  ev.tenant_id = tenant_id;
  ev.type = std::string(type);
  ev.payload = "{\"id\":\"" + ev.id + "\",\"data\":{}}";
  ev.idempotency_key = std::move(idempotency_key);
  ev.created_at = now;
  auto result = store.ingest_event(ev, now, [] { return test_id("dlv_"); });
  if (!result) throw std::runtime_error("ingest_event: " + result.error().message);
  return *result;
}

}  // namespace axon::test
