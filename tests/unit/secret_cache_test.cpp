// SecretCache: secrets open once, in order; one this master key cannot open is left out.
#include "delivery/secret_cache.hpp"

#include <gtest/gtest.h>

#include "core/random.hpp"

namespace axon {
namespace {

TEST(SecretCache, OpensEachSecretInOrderAndSkipsForeignOnes) {
  SeededRandom random(7);
  auto box = SecretBox::create(std::string(32, 'k'));
  auto other = SecretBox::create(std::string(32, 'o'));
  ASSERT_TRUE(box && other);
  SecretCache cache(*box);
  const std::string a = box->seal("whsec_a", random), b = box->seal("whsec_b", random);
  const std::string foreign = other->seal("whsec_x", random);

  EXPECT_EQ(cache.open({a, foreign, b}), (std::vector<std::string>{"whsec_a", "whsec_b"}));
  EXPECT_EQ(cache.size(), 2u);  // the foreign one is not cached
  EXPECT_EQ(cache.open({b, a}), (std::vector<std::string>{"whsec_b", "whsec_a"}));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.open({foreign}).empty());
}

TEST(SecretCache, StaysBounded) {
  SeededRandom random(7);
  auto box = SecretBox::create(std::string(32, 'k'));
  ASSERT_TRUE(box);
  SecretCache cache(*box);
  for (std::size_t i = 0; i <= SecretCache::kMaxEntries + 1; ++i) {
    const std::string plain = "whsec_" + std::to_string(i);
    ASSERT_EQ(cache.open({box->seal(plain, random)}), std::vector<std::string>{plain});
  }
  EXPECT_LE(cache.size(), SecretCache::kMaxEntries + 1);
}

}  // namespace
}  // namespace axon
