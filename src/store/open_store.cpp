#include "store/store.hpp"

namespace axon {

Result<std::unique_ptr<Store>> open_store(std::string_view db_url, const StoreOptions& options) {
  if (db_url.starts_with("sqlite:")) return open_sqlite_store(db_url.substr(7));
  if (db_url.starts_with("postgres://") || db_url.starts_with("postgresql://"))
    return open_postgres_store(db_url, options.postgres_pool_size);
  return fail(Errc::invalid_request,
              "unsupported --db URL (want sqlite:PATH or postgres://…): " + std::string(db_url));
}

}  // namespace axon
