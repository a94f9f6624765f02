// `axon-webhooks rotate-master-key`: re-seals every endpoint secret (current and previous),
// client-certificate key and sealed custom header list from the old master key to a new one,
// batch by batch, so the operator can then swap the key. Safe to run again after an
// interruption: a value that already opens under the new key is left as it is. Run it while
// no `serve` process is writing (docs/operations.md, "Rotating the master key").
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "core/random.hpp"
#include "store/store.hpp"

namespace axon {

struct MasterKeyRotation {
  int resealed = 0;       // sealed values moved from the old key to the new one
  int already_new = 0;    // values already under the new key (an interrupted earlier run)
};

// Re-seals every endpoint secret, client key and header list in `store` from `old_key` to
// `new_key` (32 bytes each); the batch that re-seals the last ones records `new_key`'s check
// value (app/master_key_check.hpp) in the same transaction.
Result<MasterKeyRotation> reseal_all_secrets(Store& store, std::string_view old_key,
                                             std::string_view new_key, Random& random,
                                             int batch_size = 100);

// The command: old key from `old_key_env` (AXON_MASTER_KEY) or `old_key_file`; the new key
// from `new_key_file`, created (0600) with a fresh random key when it does not exist.
// Prints a summary and the next steps on stdout; returns the process exit code.
int run_rotate_master_key(const std::string& db_url, const std::optional<std::string>& old_key_env,
                          const std::string& old_key_file, const std::string& new_key_file);

}  // namespace axon
