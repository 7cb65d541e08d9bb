// tests/resolver/verify/key_cache_test.cc: KeyCache (resolver/verify/key_cache.h), what a retry
// over another transport forgets.
#include "resolver/verify/key_cache.h"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

namespace dnsp::resolver {
namespace {

constexpr int64_t kNow = 1'800'000'000;

void put(KeyCache& cache, const char* zone, Security security) {
  KeyEntry e;
  e.zone = *Name::from_text(zone);
  e.security = security;
  e.expires = kNow + 60;
  cache.put(std::make_shared<const KeyEntry>(std::move(e)), kNow);
}

}  // namespace

TEST_CASE("key cache: forget_bogus drops the bogus entries named, and only those (RFC 9520)") {
  KeyCache cache;
  put(cache, "broken.test.", Security::Bogus);
  put(cache, "other-broken.test.", Security::Bogus);
  put(cache, "good.test.", Security::Secure);
  const std::vector<Name> zones{*Name::from_text("broken.test."), *Name::from_text("good.test."),
                                *Name::from_text("absent.test.")};
  cache.forget_bogus(zones);
  CHECK(cache.find(*Name::from_text("broken.test."), kNow) == nullptr);
  // Another zone's bogus entry stays cached, and a secure entry is never forgotten.
  CHECK(cache.find(*Name::from_text("other-broken.test."), kNow) != nullptr);
  CHECK(cache.find(*Name::from_text("good.test."), kNow) != nullptr);
}

}  // namespace dnsp::resolver
