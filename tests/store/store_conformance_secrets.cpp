// Store conformance: what endpoints keep sealed at rest (signing secrets, client
// certificate keys, custom headers): rotation, resealing and reading back.
#include "store/store_conformance.hpp"

namespace axon::test {

TEST_P(StoreConformance, RotateSecretKeepsPreviousUntilExpiry) {
  auto tenant = add_tenant();
  auto e = add_endpoint(tenant);
  auto rotated =
      must(store().rotate_endpoint_secret(tenant.id, e.id, "sealed-new", T0 + kDay, T0 + 5));
  EXPECT_EQ(rotated.secret_sealed, "sealed-new");
  EXPECT_EQ(rotated.previous_secret_sealed, e.secret_sealed);
  EXPECT_EQ(rotated.previous_secret_expires_at, T0 + kDay);
  EXPECT_EQ(rotated.updated_at, T0 + 5);
  auto got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_EQ(got.secret_sealed, "sealed-new");
  EXPECT_EQ(got.previous_secret_sealed, e.secret_sealed);

  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0 + kHour);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].secrets_sealed, (std::vector<std::string>{"sealed-new", e.secret_sealed}));
  // After the rotation window, only the new secret signs.
  complete({outcome(jobs[0], DeliveryStatus::pending, T0 + kHour, T0 + kDay)}, T0 + kHour);
  jobs = claim(T0 + kDay);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].secrets_sealed, std::vector<std::string>{"sealed-new"});

  // A second rotation replaces the previous secret.
  got = must(store().rotate_endpoint_secret(tenant.id, e.id, "sealed-newer", T0 + 3 * kDay,
                                            T0 + 2 * kDay));
  EXPECT_EQ(got.secret_sealed, "sealed-newer");
  EXPECT_EQ(got.previous_secret_sealed, "sealed-new");
  EXPECT_EQ(error_of(store().rotate_endpoint_secret(tenant.id, "ep_missing", "x", T0, T0)),
            Errc::not_found);
}

TEST_P(StoreConformance, ResealRewritesEverySecretInBatches) {
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  std::vector<Endpoint> endpoints;
  for (int i = 0; i < 3; ++i) endpoints.push_back(add_endpoint(i == 1 ? b : a));
  must(store().rotate_endpoint_secret(a.id, endpoints[0].id, "sealed-rotated", T0 + kDay, T0));
  auto reseal = [](std::string_view sealed) -> Result<std::string> {
    return "re:" + std::string(sealed);
  };
  // Batches of two walk every endpoint of every tenant in id order, then report the end.
  const Store::MasterKeyCheckUpdate check{"rotating", "new"};
  auto first = must(store().reseal_endpoint_secrets("", 2, reseal, check));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, endpoints[1].id);
  auto second = must(store().reseal_endpoint_secrets(*first, 2, reseal, check));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, endpoints[2].id);
  EXPECT_FALSE(must(store().reseal_endpoint_secrets(*second, 2, reseal, check)).has_value());

  auto e0 = must(store().get_endpoint(a.id, endpoints[0].id));
  EXPECT_EQ(e0.secret_sealed, "re:sealed-rotated");
  EXPECT_EQ(e0.previous_secret_sealed, "re:" + endpoints[0].secret_sealed);
  EXPECT_EQ(e0.previous_secret_expires_at, T0 + kDay);
  auto e1 = must(store().get_endpoint(b.id, endpoints[1].id));
  EXPECT_EQ(e1.secret_sealed, "re:" + endpoints[1].secret_sealed);
  EXPECT_FALSE(e1.previous_secret_sealed.has_value());
  // The dispatcher sees the re-sealed values.
  ingest(a, "a.b", T0);
  auto jobs = claim(T0 + kHour);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    for (const auto& sealed : job.secrets_sealed) EXPECT_TRUE(sealed.starts_with("re:"));
  }

  // A failing reseal rolls its whole batch back.
  int calls = 0;
  auto failing = [&calls](std::string_view sealed) -> Result<std::string> {
    if (++calls == 3) return fail(Errc::invalid_request, "cannot open");  // 2nd endpoint
    return "x:" + std::string(sealed);
  };
  EXPECT_EQ(error_of(store().reseal_endpoint_secrets("", 10, failing, {"x-rotating", "x-new"})),
            Errc::invalid_request);
  EXPECT_EQ(must(store().get_endpoint(a.id, endpoints[0].id)).secret_sealed, "re:sealed-rotated");
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "new");  // rolled back too
}

TEST_P(StoreConformance, ResealRecordsTheKeyCheckWithEachBatch) {
  auto a = add_tenant("a");
  std::vector<Endpoint> endpoints;
  for (int i = 0; i < 3; ++i) endpoints.push_back(add_endpoint(a));
  auto same = [](std::string_view sealed) -> Result<std::string> { return std::string(sealed); };
  const Store::MasterKeyCheckUpdate check{"rotating", "done"};
  // A full batch leaves endpoints behind it: the record says a rotation is under way.
  auto first = must(store().reseal_endpoint_secrets("", 2, same, check));
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "rotating");
  // The batch that re-seals the last endpoints records the final value in its transaction.
  auto last = must(store().reseal_endpoint_secrets(*first, 2, same, check));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, endpoints[2].id);
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "done");
  // An empty store (or an empty batch after the last) records the final value as well.
  EXPECT_FALSE(must(store().reseal_endpoint_secrets(*last, 2, same, {"r2", "d2"})).has_value());
  EXPECT_EQ(must(store().get_setting(kMasterKeyCheckSetting)), "d2");
}

TEST_P(StoreConformance, SampleSealedSecretReturnsAnEndpointSecretOrNothing) {
  EXPECT_FALSE(must(store().sample_sealed_secret()).has_value());
  auto a = add_tenant("a");
  auto b = add_tenant("b");
  auto e1 = add_endpoint(a);
  auto e2 = add_endpoint(b);
  auto sample = must(store().sample_sealed_secret());
  ASSERT_TRUE(sample.has_value());
  EXPECT_TRUE(*sample == e1.secret_sealed || *sample == e2.secret_sealed) << *sample;
}

TEST_P(StoreConformance, EndpointClientCertificateRoundTripsPatchesAndReachesTheDispatcher) {
  auto tenant = add_tenant();
  Endpoint e = endpoint_for(tenant);
  e.tls_client_certificate = "-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n";
  e.tls_client_key_sealed = "sealed-key";
  add_endpoint(e);
  auto got = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_EQ(got.tls_client_certificate, e.tls_client_certificate);
  EXPECT_EQ(got.tls_client_key_sealed, "sealed-key");
  auto plain = add_endpoint(tenant);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, plain.id)).tls_client_certificate);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, plain.id)).tls_client_key_sealed);

  // A patch without them keeps them; the dispatcher gets both with every job.
  EndpointPatch unrelated;
  unrelated.description = "renamed";
  must(store().update_endpoint(tenant.id, e.id, unrelated, T0 + 1));
  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0 + 2);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    if (job.endpoint_id == e.id) {
      EXPECT_EQ(job.tls_client_certificate, e.tls_client_certificate);
      EXPECT_EQ(job.tls_client_key_sealed, "sealed-key");
    } else {
      EXPECT_FALSE(job.tls_client_certificate);
      EXPECT_FALSE(job.tls_client_key_sealed);
    }
  }

  // Replaced as a pair, then removed as a pair.
  EndpointPatch replace;
  replace.tls_client_certificate = std::optional<std::string>("new-chain");
  replace.tls_client_key_sealed = std::optional<std::string>("new-sealed-key");
  auto replaced = must(store().update_endpoint(tenant.id, e.id, replace, T0 + 3));
  EXPECT_EQ(replaced.tls_client_certificate, "new-chain");
  EXPECT_EQ(must(store().get_endpoint(tenant.id, e.id)).tls_client_key_sealed, "new-sealed-key");
  EndpointPatch remove;
  remove.tls_client_certificate = std::optional<std::string>();
  remove.tls_client_key_sealed = std::optional<std::string>();
  must(store().update_endpoint(tenant.id, e.id, remove, T0 + 4));
  auto removed = must(store().get_endpoint(tenant.id, e.id));
  EXPECT_FALSE(removed.tls_client_certificate);
  EXPECT_FALSE(removed.tls_client_key_sealed);
  EXPECT_EQ(removed.description, "renamed");
}

TEST_P(StoreConformance, ResealRewritesClientCertificateKeysToo) {
  auto tenant = add_tenant();
  Endpoint with_key = endpoint_for(tenant);
  with_key.tls_client_certificate = "chain";
  with_key.tls_client_key_sealed = "sealed-key";
  add_endpoint(with_key);
  auto without_key = add_endpoint(tenant);
  auto reseal = [](std::string_view sealed) -> Result<std::string> {
    return "re:" + std::string(sealed);
  };
  auto last = must(store().reseal_endpoint_secrets("", 10, reseal, {"rotating", "done"}));
  ASSERT_TRUE(last.has_value());
  auto got = must(store().get_endpoint(tenant.id, with_key.id));
  EXPECT_EQ(got.tls_client_key_sealed, "re:sealed-key");
  EXPECT_EQ(got.tls_client_certificate, "chain") << "the certificate is public: not sealed";
  EXPECT_EQ(got.secret_sealed, "re:" + with_key.secret_sealed);
  EXPECT_FALSE(must(store().get_endpoint(tenant.id, without_key.id)).tls_client_key_sealed);
}

// Custom headers at rest (store/sealed_headers.hpp): rows written before sealing still read,
// new ones are sealed, the old ones are sealed on request, and every reader (API reads,
// claims) gets the values back as written.
TEST_P(StoreConformance, HeaderListsAreSealedAtRestAndReadBackAsWritten) {
  auto tenant = add_tenant();
  Endpoint legacy = endpoint_for(tenant);
  legacy.headers = {{"Authorization", "Bearer legacy-credential"}};
  add_endpoint(legacy);  // written plain, as before sealing existed

  SeededRandom random(7);
  auto box = must(SecretBox::create(std::string(32, 'h')));
  const HeaderSealer sealer(box, random);
  store().seal_headers_with(sealer);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, legacy.id)).headers, legacy.headers);

  Endpoint fresh = endpoint_for(tenant);
  fresh.headers = {{"Authorization", "Bearer fresh-credential"}, {"X-Team", "blue"}};
  add_endpoint(fresh);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, fresh.id)).headers, fresh.headers);

  // The one plain row left is sealed, once.
  EXPECT_EQ(must(store().seal_plain_headers(100)), 1);
  EXPECT_EQ(must(store().seal_plain_headers(100)), 0);

  // What is stored: one sealed value per header list, holding no credential.
  std::vector<std::string> at_rest;
  auto record = [&](std::string_view sealed) -> Result<std::string> {
    at_rest.emplace_back(sealed);
    return std::string(sealed);
  };
  must(store().reseal_endpoint_secrets("", 10, record, {"rotating", "done"}));
  int header_lists = 0;
  for (const auto& value : at_rest) {
    EXPECT_EQ(value.find("credential"), std::string::npos) << value;
    if (value.starts_with("v1:")) {
      ++header_lists;
      EXPECT_TRUE(box.open(value).has_value());
    }
  }
  EXPECT_EQ(header_lists, 2);

  // Readers get the values back: a page, a PATCH, the dispatcher's claim.
  auto listed = must(store().list_endpoints(tenant.id, PageRequest{10, std::nullopt})).items;
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& e : listed) {
    EXPECT_EQ(e.headers, e.id == legacy.id ? legacy.headers : fresh.headers);
  }
  EndpointPatch patch;
  patch.headers = HeaderList{{"Authorization", "Bearer patched-credential"}};
  EXPECT_EQ(must(store().update_endpoint(tenant.id, legacy.id, patch, T0 + 1)).headers,
            *patch.headers);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, legacy.id)).headers, *patch.headers);
  ingest(tenant, "a.b", T0);
  auto jobs = claim(T0 + kHour);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    EXPECT_EQ(job.headers, job.endpoint_id == legacy.id ? *patch.headers : fresh.headers);
  }

  // Master-key rotation re-seals header lists with the secrets.
  auto new_box = must(SecretBox::create(std::string(32, 'n')));
  auto reseal = [&](std::string_view sealed) -> Result<std::string> {
    auto plain = box.open(sealed);
    if (!plain) return std::string(sealed);  // the fixture's fake secrets are not sealed
    return new_box.seal(*plain, random);
  };
  must(store().reseal_endpoint_secrets("", 10, reseal, {"rotating", "done"}));
  const HeaderSealer new_sealer(new_box, random);
  store().seal_headers_with(new_sealer);
  EXPECT_EQ(must(store().get_endpoint(tenant.id, fresh.id)).headers, fresh.headers);
}

}  // namespace axon::test
