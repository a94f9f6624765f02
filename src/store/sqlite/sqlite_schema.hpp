// The SQLite schema as an ordered list of migrations. Migration N (1-based) is applied once
// and recorded in schema_migrations(version, applied_at); never edit a shipped migration,
// append a new one.
#pragma once

#include <span>

namespace axon::sqlite {

std::span<const char* const> migrations();

}  // namespace axon::sqlite
