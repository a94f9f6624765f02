// The two process-wide credentials: the master key that seals endpoint secrets at rest, and
// the admin token. Both touch files/the store, so they live here and not in core/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/random.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace axon {

// The master key (32 bytes): from `env_value` (AXON_MASTER_KEY: base64 or 64 hex digits) when
// set, else from `key_file`, which is created with mode 0600 (and its directory) on first
// start. Creation uses O_EXCL so processes starting together agree on one key.
Result<std::string> load_master_key(const std::optional<std::string>& env_value,
                                    const std::string& key_file, Random& random);

// Where the key file lives by default: beside a SQLite database, else ./var/axon.key.
std::string default_master_key_file(std::string_view db_url);

struct AdminToken {
  std::string hash;                     // sha256 hex, what the API compares against
  std::optional<std::string> generated;  // the token, only when this call created it
};

// `configured` (--admin-token) wins. Otherwise the stored hash is used; on first start a
// token is generated, its hash stored, and the token returned once for printing.
Result<AdminToken> resolve_admin_token(Store& store, const std::optional<std::string>& configured,
                                       Random& random);

}  // namespace axon
