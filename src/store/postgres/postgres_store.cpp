// Placeholder until PostgresStore lands (owned by the PostgreSQL work).
#include "store/store.hpp"

namespace axon {
Result<std::unique_ptr<Store>> open_postgres_store(std::string_view) {
  return fail(Errc::unavailable, "PostgreSQL store not built yet");
}
}  // namespace axon
