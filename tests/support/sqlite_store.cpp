#include "support/sqlite_store.hpp"

#include <stdexcept>

namespace axon::test {

std::unique_ptr<Store> open_migrated_sqlite_store(const std::string& path) {
  auto store = open_sqlite_store(path);
  if (!store) throw std::runtime_error("open_sqlite_store: " + store.error().message);
  if (auto migrated = (*store)->migrate(); !migrated) {
    throw std::runtime_error("migrate: " + migrated.error().message);
  }
  return std::move(*store);
}

}  // namespace axon::test
