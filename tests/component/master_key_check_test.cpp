// The master-key check: serve's start-up check against the database's record, rotation
// keeping the record, and the dispatcher handing back a delivery whose secret it cannot open
// instead of recording an attempt against the receiver.
#include "app/master_key_check.hpp"
#include "app/master_key_rotation.hpp"
#include "core/encoding.hpp"
#include "dispatcher_fixture.hpp"

namespace axon::test {
namespace {

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

class MasterKeyCheck : public DispatcherFixture {
 protected:
  // An endpoint whose secret is sealed under `key` (not the fixture's box).
  void add_endpoint_sealed_with(const std::string& key) {
    auto box = SecretBox::create(key);
    ASSERT_TRUE(box);
    add_endpoint("http://127.0.0.1:9/hook",
                 [&](Endpoint& ep) { ep.secret_sealed = box->seal("whsec_test", random_); });
  }
  std::optional<std::string> record() {
    auto r = store_->get_setting(kMasterKeyCheckSetting);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::nullopt;
  }
};

TEST_F(MasterKeyCheck, KeyCheckValueIdentifiesTheKeyWithoutContainingIt) {
  const std::string a = master_key_check_value(kKeyA);
  EXPECT_EQ(a, master_key_check_value(kKeyA));
  EXPECT_NE(a, master_key_check_value(kKeyB));
  ASSERT_EQ(a.size(), 3u + 32u);
  EXPECT_TRUE(a.starts_with("v1:"));
  EXPECT_EQ(a.find(hex_encode(kKeyA).substr(0, 8)), std::string::npos);
}

TEST_F(MasterKeyCheck, NewDatabaseRecordsTheFirstKeyAndRefusesAnother) {
  ASSERT_TRUE(check_master_key(*store_, kKeyA));
  EXPECT_EQ(record(), master_key_check_value(kKeyA));
  EXPECT_TRUE(check_master_key(*store_, kKeyA));  // a restart, or a second node

  auto other = check_master_key(*store_, kKeyB);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::forbidden);
  EXPECT_NE(other.error().message.find("master key does not match"), std::string::npos);
  EXPECT_NE(other.error().message.find("AXON_MASTER_KEY"), std::string::npos);
  EXPECT_EQ(record(), master_key_check_value(kKeyA));  // unchanged
}

// A database from before the check: endpoints, no record. The key that opens a secret is
// recorded; any other is refused and records nothing.
TEST_F(MasterKeyCheck, DatabaseWithoutRecordIsCheckedAgainstAnExistingSecret) {
  add_endpoint_sealed_with(kKeyA);
  ASSERT_FALSE(record().has_value());

  auto wrong = check_master_key(*store_, kKeyB);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::forbidden);
  EXPECT_FALSE(record().has_value());

  ASSERT_TRUE(check_master_key(*store_, kKeyA));
  EXPECT_EQ(record(), master_key_check_value(kKeyA));
}

TEST_F(MasterKeyCheck, RotationRecordsTheNewKeyInItsLastBatch) {
  ASSERT_TRUE(check_master_key(*store_, kKeyA));
  for (int i = 0; i < 5; ++i) add_endpoint_sealed_with(kKeyA);

  auto rotated = reseal_all_secrets(*store_, kKeyA, kKeyB, random_, /*batch_size=*/2);
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->resealed, 5);
  EXPECT_EQ(record(), master_key_check_value(kKeyB));
  EXPECT_TRUE(check_master_key(*store_, kKeyB));
  EXPECT_FALSE(check_master_key(*store_, kKeyA));
}

TEST_F(MasterKeyCheck, InterruptedRotationLetsNoKeyStartUntilItIsRunAgain) {
  ASSERT_TRUE(check_master_key(*store_, kKeyA));
  for (int i = 0; i < 3; ++i) add_endpoint_sealed_with(kKeyA);
  // One batch of a rotation, as if the command had been killed after it.
  auto new_box = SecretBox::create(kKeyB);
  auto old_box = SecretBox::create(kKeyA);
  auto reseal = [&](std::string_view sealed) -> Result<std::string> {
    auto plain = old_box->open(sealed);
    if (!plain) return std::unexpected(plain.error());
    return new_box->seal(*plain, random_);
  };
  const Store::MasterKeyCheckUpdate check{rotation_in_progress_check(kKeyB),
                                          master_key_check_value(kKeyB)};
  ASSERT_TRUE(store_->reseal_endpoint_secrets("", 1, reseal, check));

  for (const auto& key : {kKeyA, kKeyB}) {
    auto refused = check_master_key(*store_, key);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("rotate-master-key again"), std::string::npos);
  }
  auto finished = reseal_all_secrets(*store_, kKeyA, kKeyB, random_);
  ASSERT_TRUE(finished) << finished.error().message;
  EXPECT_EQ(finished->already_new, 1);
  EXPECT_EQ(finished->resealed, 2);
  EXPECT_TRUE(check_master_key(*store_, kKeyB));
}

TEST_F(MasterKeyCheck, RotationRefusesAnOldKeyThatIsNotTheDatabases) {
  ASSERT_TRUE(check_master_key(*store_, kKeyA));  // no endpoints: only the record knows
  const std::string key_c(32, 'c');
  auto refused = reseal_all_secrets(*store_, kKeyB, key_c, random_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_request);
  EXPECT_EQ(record(), master_key_check_value(kKeyA));
}

// The dispatcher's key (the fixture's) cannot open this endpoint's secret: the delivery goes
// back unattempted, due later, and is counted; the receiver never hears of it.
TEST_F(MasterKeyCheck, DispatcherHandsBackADeliveryItCannotSign) {
  TestReceiver rx;
  auto box = SecretBox::create(kKeyB);
  ASSERT_TRUE(box);
  add_endpoint(rx.url(), [&](Endpoint& ep) { ep.secret_sealed = box->seal("whsec_x", random_); });
  auto ids = publish();
  ASSERT_EQ(ids.size(), 1u);
  const Millis before = clock_.now_ms();
  Dispatcher& dispatcher = start_dispatcher();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  // Handed back = no longer leased: its claim time moved ~30 s ahead.
  Delivery d = get(ids[0]);
  while ((dispatcher.stats().unsignable.load() == 0 || d.next_attempt_at < before + 20'000) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    d = get(ids[0]);
  }
  EXPECT_EQ(dispatcher.stats().unsignable.load(), 1);
  EXPECT_EQ(d.status, DeliveryStatus::pending);
  EXPECT_EQ(d.attempts, 0);
  EXPECT_TRUE(d.attempt_log.empty());
  EXPECT_GE(d.next_attempt_at, before + 20'000);
  EXPECT_EQ(dispatcher.stats().attempts.load(), 0);
  EXPECT_EQ(rx.request_count(), 0u);
}

}  // namespace
}  // namespace axon::test
