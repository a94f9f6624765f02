#include "app/master_key_rotation.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "app/credentials.hpp"
#include "app/master_key_check.hpp"
#include "core/secret_box.hpp"

namespace axon {

Result<MasterKeyRotation> reseal_all_secrets(Store& store, std::string_view old_key,
                                             std::string_view new_key, Random& random,
                                             int batch_size) {
  auto old_box = SecretBox::create(old_key);
  if (!old_box) return std::unexpected(old_box.error());
  auto new_box = SecretBox::create(new_key);
  if (!new_box) return std::unexpected(new_box.error());
  if (old_key == new_key) return fail(Errc::invalid_request, "the new key equals the old key");
  if (auto checked = check_rotation_keys(store, old_key, new_key); !checked) {
    return std::unexpected(checked.error());
  }
  // Until the last batch commits, the record says no single key opens every secret.
  const Store::MasterKeyCheckUpdate key_check{rotation_in_progress_check(new_key),
                                              master_key_check_value(new_key)};

  MasterKeyRotation counts;
  auto reseal = [&](std::string_view sealed) -> Result<std::string> {
    if (new_box->open(sealed)) {
      ++counts.already_new;
      return std::string(sealed);
    }
    auto plain = old_box->open(sealed);
    if (!plain) {
      return fail(Errc::invalid_request,
                  "an endpoint secret, client key or header list opens under neither the old nor the new "
                  "master key");
    }
    ++counts.resealed;
    return new_box->seal(*plain, random);
  };
  std::string after;
  for (;;) {
    auto last = store.reseal_endpoint_secrets(after, batch_size, reseal, key_check);
    if (!last) return std::unexpected(last.error());
    if (!*last) break;
    after = **last;
  }
  return counts;
}

int run_rotate_master_key(const std::string& db_url, const std::optional<std::string>& old_key_env,
                          const std::string& old_key_file, const std::string& new_key_file) {
  SecureRandom random;
  if (!old_key_env && !std::filesystem::exists(old_key_file)) {
    std::cerr << "axon-webhooks: old master key file " << old_key_file
              << " does not exist (set AXON_MASTER_KEY or --master-key-file)" << std::endl;
    return 2;
  }
  auto old_key = load_master_key(old_key_env, old_key_file, random);
  if (!old_key) {
    std::cerr << "axon-webhooks: old master key: " << old_key.error().message << std::endl;
    return 2;
  }
  auto new_key = load_master_key(std::nullopt, new_key_file, random);
  if (!new_key) {
    std::cerr << "axon-webhooks: new master key: " << new_key.error().message << std::endl;
    return 2;
  }
  auto store = open_store(db_url);
  if (!store) {
    std::cerr << "axon-webhooks: cannot open store: " << store.error().message << std::endl;
    return 1;
  }
  if (auto migrated = (*store)->migrate(); !migrated) {
    std::cerr << "axon-webhooks: migration failed: " << migrated.error().message << std::endl;
    return 1;
  }
  auto done = reseal_all_secrets(**store, *old_key, *new_key, random);
  if (!done) {
    std::cerr << "axon-webhooks: rotation failed: " << done.error().message << std::endl;
    return 1;
  }
  std::cout << "re-sealed " << done->resealed << " sealed values ("
            << done->already_new << " were already under the new key)\n"
            << "every endpoint secret, client key and custom header list is now sealed under the key in "
            << new_key_file << "\n"
            << "next: make serve use it (replace the old key file with it, or point "
               "--master-key-file / AXON_MASTER_KEY at it), then start serve again"
            << std::endl;
  return 0;
}

}  // namespace axon
