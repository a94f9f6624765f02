#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bench {

ServerProcess::~ServerProcess() { stop(5); }

bool ServerProcess::start(const ServerOptions& o, std::string* error) {
  log_path_ = o.workdir + "/server.log";
  std::vector<std::string> args = {o.binary, "serve", "--db", o.db, "--listen", "127.0.0.1:0",
                                   "--admin-token", o.admin_token, "--allow-private-targets",
                                   "--master-key-file", o.workdir + "/axon.key"};
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return false;
  pid_ = fork();
  if (pid_ == 0) {
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out[1], 1);
    if (log >= 0) dup2(log, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char c;
    ssize_t n = read(stdout_fd_, &c, 1);
    if (n <= 0) break;
    if (c != '\n') {
      line += c;
      continue;
    }
    auto at = line.find("listening on http://");
    if (at != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      drain_ = std::thread([fd = stdout_fd_] {
        char buf[4096];
        while (read(fd, buf, sizeof buf) > 0) {
        }
      });
      return true;
    }
    line.clear();
  }
  if (error) *error = "server did not start; log tail:\n" + log_tail();
  stop(5);
  return false;
}

int ServerProcess::stop(int timeout_s) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0, result = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      result = -1;
      break;
    }
    usleep(20'000);
  }
  pid_ = -1;
  if (drain_.joinable()) drain_.join();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  return result;
}

namespace {

// Reads ppid (field 4) and utime + stime (fields 14, 15) of /proc/<pid>/stat.
// `cpu` is the process's own CPU time; `reaped` that of its children that ended.
bool read_stat(const std::string& pid, long& ppid, double& cpu, double& reaped) {
  std::ifstream f("/proc/" + pid + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return false;
  std::istringstream rest(text.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0, cutime = 0, cstime = 0;
  for (int i = 3; i <= 17 && rest >> field; ++i) {
    if (i == 4) ppid = std::stol(field);
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
    if (i == 16) cutime = std::stoull(field);
    if (i == 17) cstime = std::stoull(field);
  }
  const auto tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  cpu = static_cast<double>(utime + stime) / tick;
  reaped = static_cast<double>(cutime + cstime) / tick;
  return true;
}

}  // namespace

double process_tree_cpu_seconds(pid_t root) {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    long ppid = 0;
    double cpu = 0, reaped = 0;
    if (!read_stat(name, ppid, cpu, reaped)) continue;
    // The root's ended children count too (a PostgreSQL backend's CPU moves to the
    // postmaster's when its connection closes).
    if (std::stol(name) == root) total += cpu + reaped;
    else if (ppid == root) total += cpu;
  }
  return total;
}

double ServerProcess::cpu_seconds() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(text.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long ServerProcess::peak_rss_kb() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::string ServerProcess::log_tail(std::size_t bytes) const {
  std::ifstream f(log_path_);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace bench
