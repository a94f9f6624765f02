// The master-key check. Every node on one database must use the master key that sealed its
// secrets; a node with another key would take deliveries it cannot sign. So the database
// records a key check value (KCV) of that key, and `serve` refuses to start when its key
// does not match. The KCV is HMAC-SHA256(key, "axon key check v1") cut to 16 bytes: it
// tells keys apart without revealing anything that helps recover the key.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace axon {

// "v1:" + 32 hex digits.
std::string master_key_check_value(std::string_view key);

// What the database records while rotate-master-key moves its secrets to `new_key`: no key
// opens every secret until the rotation finishes, so no node may start.
std::string rotation_in_progress_check(std::string_view new_key);

// Serve's start-up check. Succeeds when the recorded KCV is `key`'s; when there is no
// record yet (a new database, or one from a version without the check) it records `key`'s,
// after making sure `key` opens an existing secret. Errc::forbidden with a message for the
// operator when `key` is not the database's; store errors as they come.
Result<void> check_master_key(Store& store, std::string_view key);

// Rotation's pre-check: `old_key` must be the database's key (or the rotation to `new_key`
// is under way or done). Errc::invalid_request otherwise.
Result<void> check_rotation_keys(Store& store, std::string_view old_key,
                                 std::string_view new_key);

}  // namespace axon
