// ServerProcess: one `axon-webhooks serve` child process on 127.0.0.1 (port 0), with its CPU
// time and memory read from /proc/<pid>. Thread-safety: none; owned by the main thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace bench {

struct ServerOptions {
  std::string binary;          // path to axon-webhooks
  std::string db;              // --db URL
  std::string workdir;         // master key file and server.log go here
  std::string admin_token;
  std::vector<std::string> extra_args;  // e.g. --request-timeout 60s
};

// CPU seconds (utime + stime) of process `root` and its direct children, e.g. a PostgreSQL
// postmaster and its backends.
double process_tree_cpu_seconds(pid_t root);

class ServerProcess {
 public:
  ~ServerProcess();
  // Starts the child and waits (up to 120 s) for its "listening on" line.
  bool start(const ServerOptions& options, std::string* error);
  // SIGTERM, then waits up to `timeout_s` (SIGKILL after). Returns the exit status or -1.
  int stop(int timeout_s = 60);

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  double cpu_seconds() const;  // utime + stime so far
  long peak_rss_kb() const;    // VmHWM
  std::string log_tail(std::size_t bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
  std::thread drain_;  // keeps reading the child's stdout so it never blocks on a full pipe
};

}  // namespace bench
