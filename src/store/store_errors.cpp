#include "store/store.hpp"

namespace axon {

Error storage_full_error(std::string_view detail) {
  return Error{Errc::storage_full,
               "storage full: the database's disk is full, so nothing was written; free space "
               "(service resumes by itself) (" + std::string(detail) + ")"};
}

}  // namespace axon
