// TempDir: a fresh private directory (mkdtemp under $TMPDIR or /tmp) that is removed with
// everything in it when the object goes away. For tests: never use fixed paths.
// Thread-safety: immutable after construction; path() may be read from any thread.
#pragma once

#include <filesystem>
#include <string_view>

namespace axon::test {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>XXXXXX"; aborts the test binary if the directory cannot be made.
  explicit TempDir(std::string_view prefix = "axon-test-");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string (not created).
  std::string file(std::string_view name) const;

 private:
  std::filesystem::path path_;
};

}  // namespace axon::test
