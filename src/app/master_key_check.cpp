#include "app/master_key_check.hpp"

#include <spdlog/spdlog.h>

#include "core/encoding.hpp"
#include "core/secret_box.hpp"
#include "core/signature.hpp"

namespace axon {
namespace {

constexpr std::string_view kCheckMessage = "axon key check v1";
constexpr std::string_view kRotationPrefix = "rotating:";

Error key_mismatch() {
  return Error{Errc::forbidden,
               "the master key does not match the one that sealed this database's secrets: "
               "start every node with the same AXON_MASTER_KEY / --master-key-file, or restore "
               "the right key file"};
}

Error rotation_interrupted() {
  return Error{Errc::forbidden,
               "a master key rotation of this database did not finish, so no single master key "
               "opens all its secrets: run rotate-master-key again with the same old and new "
               "key, then start every node with the new master key"};
}

// A database without a record: `key` must open one of its secrets, if it has any.
Result<void> record_first_check(Store& store, std::string_view key, const std::string& check) {
  auto sample = store.sample_sealed_secret();
  if (!sample) return std::unexpected(sample.error());
  if (*sample) {
    auto box = SecretBox::create(key);
    if (!box) return std::unexpected(box.error());
    if (!box->open(**sample)) return std::unexpected(key_mismatch());
  }
  // Nodes starting together with different keys: the first record wins, the others refuse.
  auto stored = store.put_setting_if_absent(kMasterKeyCheckSetting, check);
  if (!stored) return std::unexpected(stored.error());
  if (*stored != check) return std::unexpected(key_mismatch());
  spdlog::info("recorded the master key check value of this database ({})", check);
  return {};
}

}  // namespace

std::string master_key_check_value(std::string_view key) {
  return "v1:" + hex_encode(hmac_sha256(key, kCheckMessage).substr(0, 16));
}

std::string rotation_in_progress_check(std::string_view new_key) {
  return std::string(kRotationPrefix) + master_key_check_value(new_key);
}

Result<void> check_master_key(Store& store, std::string_view key) {
  const std::string check = master_key_check_value(key);
  auto recorded = store.get_setting(kMasterKeyCheckSetting);
  if (!recorded) return std::unexpected(recorded.error());
  if (!*recorded) return record_first_check(store, key, check);
  if (**recorded == check) return {};
  if ((*recorded)->starts_with(kRotationPrefix)) return std::unexpected(rotation_interrupted());
  return std::unexpected(key_mismatch());
}

Result<void> check_rotation_keys(Store& store, std::string_view old_key,
                                 std::string_view new_key) {
  auto recorded = store.get_setting(kMasterKeyCheckSetting);
  if (!recorded) return std::unexpected(recorded.error());
  if (!*recorded) return {};  // from before the check: every secret is tried under old_key
  if (**recorded == master_key_check_value(old_key) ||
      **recorded == master_key_check_value(new_key) ||
      **recorded == rotation_in_progress_check(new_key)) {
    return {};
  }
  return fail(Errc::invalid_request,
              "the old master key is not the one that sealed this database's secrets (nor is "
              "the new one): give the key the nodes of this database use as the old key");
}

}  // namespace axon
