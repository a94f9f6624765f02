#include "app/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/encoding.hpp"

namespace axon {
namespace {

constexpr std::string_view kAdminTokenSetting = "admin_token_sha256";

Result<std::string> decode_key(std::string_view text, std::string_view origin) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  if (text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == text.npos) {
    std::string key;
    for (std::size_t i = 0; i < 64; i += 2)
      key.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    return key;
  }
  if (auto decoded = base64_decode(text); decoded && decoded->size() == 32) return *decoded;
  return fail(Errc::invalid_request, std::string(origin) +
                                         " must be 32 bytes as base64 or 64 hex digits");
}

}  // namespace

std::string default_master_key_file(std::string_view db_url) {
  if (db_url.starts_with("sqlite:")) {
    std::filesystem::path db(std::string(db_url.substr(7)));
    return (db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path()) /
           "axon.key";
  }
  return "./var/axon.key";
}

Result<std::string> load_master_key(const std::optional<std::string>& env_value,
                                    const std::string& key_file, Random& random) {
  if (env_value && !env_value->empty()) return decode_key(*env_value, "AXON_MASTER_KEY");

  std::filesystem::path path(key_file);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);

  int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string encoded = base64_encode(random.bytes(32)) + "\n";
    bool ok = ::write(fd, encoded.data(), encoded.size()) == static_cast<ssize_t>(encoded.size());
    ok = ::fsync(fd) == 0 && ok;
    ::close(fd);
    if (!ok) return fail(Errc::internal, "could not write master key file " + key_file);
  } else if (errno != EEXIST) {
    return fail(Errc::internal,
                "could not create master key file " + key_file + ": " + std::strerror(errno));
  }
  std::ifstream in(key_file);
  if (!in) return fail(Errc::internal, "could not read master key file " + key_file);
  std::stringstream text;
  text << in.rdbuf();
  return decode_key(text.str(), "master key file " + key_file);
}

Result<AdminToken> resolve_admin_token(Store& store, const std::optional<std::string>& configured,
                                       Random& random) {
  if (configured && !configured->empty()) return AdminToken{sha256_hex(*configured), std::nullopt};
  auto stored = store.get_setting(kAdminTokenSetting);
  if (!stored) return std::unexpected(stored.error());
  if (*stored) return AdminToken{**stored, std::nullopt};

  std::string token = "axadm_" + base64url_encode(random.bytes(32));
  std::string hash = sha256_hex(token);
  auto winner = store.put_setting_if_absent(kAdminTokenSetting, hash);
  if (!winner) return std::unexpected(winner.error());
  if (*winner != hash) return AdminToken{*winner, std::nullopt};  // another process won
  return AdminToken{hash, token};
}

}  // namespace axon
